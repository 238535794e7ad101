"""The Workers page: adding a worker (its token shown once), a real `simpletuner worker` connecting with the
command the page gave, draining, new tokens and removing a busy worker, whose job goes back to the queue."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account, isolated_env

SEEN_MS = 30_000  # the page polls every few seconds; an agent starting on a slow machine takes a while


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Starts `simpletuner worker` from the connection command the page showed; stops what is left at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(command: str) -> subprocess.Popen[bytes]:
        words = shlex.split(command)
        assert words[:2] == ["simpletuner", "worker"], command
        env = isolated_env(tmp_path / "worker-machine")  # a machine of its own: no job runs in this test
        argv = [sys.executable, "-m", "simpletuner.libs.cli.main", *words[1:], "--gpus", "2xL40S:48"]
        with (tmp_path / "worker.log").open("ab") as log:
            process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def worker_call(stack: RunningStack, token: str, path: str, body: dict[str, object] | None = None) -> httpx.Response:
    """A worker's own call, as its agent makes it (X-Worker-Token)."""
    with stack.http(headers={"X-Worker-Token": token}) as http:
        return http.post(f"/api/workers/{path}", json=body or {})


def snap(screenshots: Screenshots, page: Page, step: str) -> None:
    """A full-page screenshot from the top (scrolled, the sticky bar and menu land mid-page in it)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshots.take(page, step)


def test_an_added_worker_shows_its_token_once_then_connects_drains_and_is_removed(
    ui_stack: RunningStack,
    ui_admin: Account,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
    agents: Callable[[str], subprocess.Popen[bytes]],
) -> None:
    page = new_page(ui_admin)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/workers")
    expect(page.get_by_text("No workers yet.")).to_be_visible()
    page.get_by_role("button", name="Add worker", exact=True).click()
    dialog = page.get_by_test_id("add-worker-dialog")
    dialog.get_by_label("Labels").fill("gpu_type a100")
    dialog.get_by_role("button", name="Create worker").click()
    expect(dialog.locator("#worker-name-error")).to_have_text("Give the worker a name, for example gpu-box-1.")
    expect(dialog.locator("#worker-labels-error")).to_contain_text('"gpu_type a100" is not key=value')
    dialog.get_by_label("Name").fill("gpu-box-1")
    dialog.get_by_label("Labels").fill("gpu_type=a100-80g, team=nlp")
    snap(screenshots, page, "a new worker with labels")
    dialog.get_by_role("button", name="Create worker").click()

    shown = page.get_by_test_id("token-dialog")
    expect(shown).to_contain_text("Copy the token now: you will not see it again.")
    expect(shown.get_by_test_id("worker-token")).to_have_value(re.compile(r"^wt_"))
    token = shown.get_by_test_id("worker-token").input_value()
    command = shown.get_by_test_id("connection-command").input_value()
    assert token.startswith("wt_")
    assert command.startswith(f"simpletuner worker --orchestrator {ui_stack.url}") and f"--token {token}" in command
    shown.get_by_role("button", name="Copy command").click()
    expect(page.locator(".toast").filter(has_text="Command copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == command
    snap(screenshots, page, "the token and the command, shown once")
    shown.get_by_role("button", name="I have copied it").click()
    expect(shown).to_be_hidden()
    expect(shown.get_by_test_id("worker-token")).to_have_value("")  # the page forgot it

    row = page.get_by_test_id("worker-gpu-box-1")
    expect(row.get_by_test_id("worker-status")).to_have_text("connecting")
    page.reload()
    expect(row.get_by_test_id("worker-status")).to_have_text("connecting")
    assert token not in page.content()
    with ui_stack.http(headers=ui_admin.headers) as http:
        assert token not in http.get("/api/admin/workers").text

    agent = agents(command)  # what the admin runs on the GPU machine
    expect(row.get_by_test_id("worker-status")).to_have_text("idle", timeout=SEEN_MS)
    expect(row.get_by_test_id("worker-gpus")).to_have_text("L40S × 2")
    expect(row.get_by_test_id("worker-labels")).to_contain_text("gpu_type=a100-80g")
    expect(row.get_by_test_id("worker-labels")).to_contain_text("team=nlp")
    expect(row.get_by_test_id("worker-heartbeat")).to_have_text(re.compile(r"^(just now|\d+s ago)$"))
    snap(screenshots, page, "the worker agent connected with its GPUs and labels")

    row.get_by_role("button", name="Drain gpu-box-1").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm.get_by_role("heading", name="Drain gpu-box-1?")).to_be_visible()
    confirm.get_by_role("button", name="Drain", exact=True).click()
    expect(row.get_by_test_id("worker-status")).to_have_text("draining")
    assert agent.wait(60) == 0  # an idle draining worker is told to leave, and its agent exits
    snap(screenshots, page, "the drained worker")

    row.get_by_role("button", name="Remove gpu-box-1").click()
    expect(confirm).to_contain_text("Its token stops working")
    confirm.get_by_role("button", name="Remove worker").click()
    expect(row).to_have_count(0)
    expect(page.get_by_text("No workers yet.")).to_be_visible()
    assert worker_call(ui_stack, token, "heartbeat").status_code == 401


def test_a_new_token_replaces_the_old_and_removing_a_busy_worker_requeues_its_job(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    with ui_stack.http(headers=ui_admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "remote-job", "example": "tiny-demo"}).raise_for_status()
        made = http.post("/api/admin/workers", json={"name": "rented-box", "worker_type": "ephemeral"}).json()
    page = new_page(ui_admin)
    page.goto("/workers")
    row = page.get_by_test_id("worker-rented-box")
    expect(row).to_contain_text("ephemeral: leaves after one job")

    row.get_by_role("button", name="New token for rented-box").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_contain_text("The old token stops working at once")
    confirm.get_by_role("button", name="Make a new token").click()
    shown = page.get_by_test_id("token-dialog")
    expect(shown.get_by_role("heading", name="New token for rented-box")).to_be_visible()
    expect(shown.get_by_test_id("worker-token")).to_have_value(re.compile(r"^wt_"))
    token = shown.get_by_test_id("worker-token").input_value()
    assert token.startswith("wt_") and token != made["token"]
    shown.get_by_role("button", name="I have copied it").click()
    assert worker_call(ui_stack, made["token"], "heartbeat").status_code == 401
    assert worker_call(ui_stack, token, "register", {"gpu_name": "H100", "gpu_count": 1}).status_code == 200

    with ui_stack.http(headers=ui_admin.headers) as http:
        job = http.post("/api/queue/submit", json={"config_name": "remote-job", "target": "worker"}).json()
        assert worker_call(ui_stack, token, "claim").json()["job"]["job_id"] == job["job_id"]
        expect(row.get_by_test_id("worker-status")).to_have_text("busy", timeout=SEEN_MS)
        expect(row).to_contain_text(job["job_id"])
        phone = new_page(ui_admin, width=390, height=844)
        phone.goto("/workers")
        expect(phone.get_by_test_id("worker-rented-box").get_by_test_id("worker-status")).to_have_text("busy")
        snap(screenshots, phone, "a busy worker on a phone")
        row.get_by_role("button", name="Remove rented-box").click()
        expect(confirm).to_contain_text(f"It is running job {job['job_id']}: that job goes back to the queue")
        snap(screenshots, page, "removing a busy worker warns that its job re-queues")
        confirm.get_by_role("button", name="Remove worker").click()
        expect(row).to_have_count(0)
        back = http.get(f"/api/queue/jobs/{job['job_id']}").json()
        assert back["status"] == "queued" and "removed" in back["reason"]
        http.post(f"/api/queue/{job['job_id']}/cancel").raise_for_status()


def test_only_admins_may_manage_workers(ui_stack: RunningStack, ui_admin: Account) -> None:
    lead = create_account(ui_stack, ui_admin, "workers-lead", ["lead"])
    with ui_stack.http(headers=lead.headers) as http:
        assert http.get("/api/admin/workers").status_code == 403
        assert http.post("/api/admin/workers", json={"name": "sneaky"}).status_code == 403
    login = {"username": lead.username, "password": lead.password}
    with ui_stack.http() as browser_like:
        browser_like.post("/api/auth/login", json=login).raise_for_status()
        assert browser_like.get("/workers").status_code == 403
