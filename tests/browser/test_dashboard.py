"""The training dashboard: start the tiny demo, watch it live, validate, survive a reload, stop with a checkpoint."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

ENVIRONMENT = "dash-demo"
TRAINING_MS = 240_000  # start-up of a tiny run on a busy 2-core machine (imports, tiny model, caches)
EVENT_MS = 120_000  # a training milestone once it runs (a validation, a stop)
UI_MS = 30_000  # what the page shows after an API call or two, on a busy machine
API_SECONDS = 60  # a start validates the whole config: seconds when the machine is busy
# Long enough that the run is still going when the test stops it; no scheduled validation or checkpoint.
STEPS = 5000


@pytest.fixture(scope="module")
def demo_environment(ui_stack: RunningStack, ui_admin: Account) -> str:
    """The tiny-demo example as the admin's active environment, with only the manual validations."""
    with ui_stack.http(headers=ui_admin.headers, timeout=API_SECONDS) as http:
        http.post("/api/configs/environments", json={"name": ENVIRONMENT, "example": "tiny-demo"}).raise_for_status()
        config = http.get(f"/api/configs/{ENVIRONMENT}").json()["config"]
        config |= {"--max_train_steps": STEPS, "--validation_steps": STEPS, "--checkpointing_steps": STEPS}
        config |= {"--validation_preview": True, "--validation_preview_steps": 4}  # live previews while sampling
        http.put(f"/api/configs/{ENVIRONMENT}", json={"config": config}).raise_for_status()
        http.post(f"/api/configs/{ENVIRONMENT}/activate").raise_for_status()
    return ENVIRONMENT


def stored_events(request: APIRequestContext, job_id: str) -> list[dict[str, Any]]:
    """Every stored event of a job, through the API the page reads its history from."""
    events: list[dict[str, Any]] = []
    since = 0
    while True:
        page = request.get(f"/api/training/events?job_id={job_id}&since_index={since}").json()
        fresh = [event for event in page["events"] if event["index"] > since]
        if not fresh:
            return events
        events += fresh
        since = page["next_index"]


def shown_state(page: Page) -> dict[str, Any]:
    """What the page shows, read in one go so the numbers belong together."""
    return page.evaluate(
        """() => {
          const chart = document.querySelector('[data-testid=loss-chart]');
          const lines = [...document.querySelectorAll('[data-testid=log] .log-line')];
          return {
            points: Number(chart.dataset.points),
            firstStep: Number(chart.dataset.firstStep),
            lastStep: Number(chart.dataset.lastStep),
            lineIndexes: lines.map((line) => Number(line.dataset.index)),
            logMessageIndexes: lines
              .filter((line) => line.dataset.type === 'log.message')
              .map((line) => Number(line.dataset.index)),
            images: document.querySelectorAll('[data-testid=gallery-item]').length,
          };
        }"""
    )


def wait_for_step_after(page: Page, step: int) -> None:
    page.wait_for_function(
        "step => Number(document.querySelector('[data-testid=progress]').getAttribute('aria-valuenow')) > step",
        arg=step,
        timeout=EVENT_MS,
    )


@pytest.mark.slow
@pytest.mark.timeout(900)  # start-up alone may take minutes on a busy machine
def test_a_run_is_started_watched_validated_rebuilt_after_a_reload_and_stopped_with_a_checkpoint(
    demo_environment: str,
    ui_stack: RunningStack,
    ui_admin: Account,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
) -> None:
    page = new_page(ui_admin)
    page.goto("/")
    expect(page.get_by_test_id("environment")).to_have_text(demo_environment, timeout=UI_MS)
    expect(page.get_by_test_id("no-run")).to_be_visible(timeout=UI_MS)
    screenshots.take(page, "no run yet")

    page.get_by_role("button", name="Start training").click()
    status = page.get_by_test_id("status")
    expect(status).to_have_attribute("data-status", re.compile("starting|running"), timeout=UI_MS)
    expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=EVENT_MS)
    screenshots.take(page, "starting")
    expect(status).to_have_attribute("data-status", "running", timeout=TRAINING_MS)
    expect(page.get_by_role("button", name="Start training")).to_be_hidden()
    progress = page.get_by_test_id("progress")
    expect(progress).not_to_have_attribute("aria-valuenow", "0", timeout=EVENT_MS)
    wait_for_step_after(page, int(progress.get_attribute("aria-valuenow") or 0))
    expect(page.get_by_test_id("loss-chart")).not_to_have_attribute("data-points", "0")
    expect(page.get_by_test_id("eta")).not_to_have_text("–", timeout=EVENT_MS)
    job_id = page.get_by_test_id("job-id").inner_text()
    expect(page).to_have_url(re.compile(f"job_id={job_id}"))
    screenshots.take(page, "running with a live chart")
    startup = page.get_by_test_id("startup")
    startup.get_by_role("heading", name="Start-up").click()  # folded away once the run runs
    expect(startup.locator("li[data-stage=init_vae_cache]")).to_have_class(re.compile("completed"))
    expect(startup).to_contain_text("stages done")
    screenshots.take(page, "start-up checklist")

    page.get_by_role("button", name="Validate now").click()
    first_image = page.get_by_test_id("gallery-item").first
    expect(first_image).to_be_visible(timeout=EVENT_MS)
    first_image.click()
    lightbox = page.get_by_test_id("lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox.get_by_role("heading")).to_contain_text("Validation")
    expect(page.get_by_test_id("lightbox-caption")).to_contain_text("Step")
    expect(page.get_by_test_id("lightbox-caption")).to_contain_text("a red circle")
    page.keyboard.press("ArrowRight")  # one image: moving wraps round to it
    expect(page.get_by_test_id("lightbox-position")).to_contain_text("1 of")
    screenshots.take(page, "validation image in the lightbox")
    page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    before = shown_state(page)
    page.reload()
    expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=EVENT_MS)
    wait_for_step_after(page, before["lastStep"])  # rebuilt from history, then live again
    after = shown_state(page)
    stored = stored_events(page.request, job_id)
    first_step = next(event["step"] for event in stored if event["type"] == "training.progress")
    # every step once, none missing; every log line once, exactly the stored ones up to the newest shown
    assert after["firstStep"] == first_step, after
    assert after["points"] == after["lastStep"] - after["firstStep"] + 1 >= before["points"], (before, after)
    assert len(set(after["lineIndexes"])) == len(after["lineIndexes"]), "a log line is shown twice"
    newest = max(after["lineIndexes"])
    logged = [e["index"] for e in stored if e["type"] == "log.message" and e["index"] <= newest]
    assert after["logMessageIndexes"] == logged
    finals = [e for e in stored if e["type"] == "validation.image" and e["data"]["validation_type"] != "intermediary"]
    assert after["images"] == sum(len(e["images"]) for e in finals) == before["images"]
    previews = [e for e in stored if e["type"] == "validation.image" and e["data"]["validation_type"] == "intermediary"]
    assert previews, "the run sent no live previews, so the gallery's leaving them out went untested"
    screenshots.take(page, "rebuilt after a reload")

    # a network blip: the gateway dies under the open stream and comes back; the page catches up, nothing twice
    gateway = ui_stack.state["pids"]["gateway"]
    os.kill(gateway, signal.SIGKILL)
    expect(page.get_by_test_id("connection")).to_have_text("Reconnecting…", timeout=UI_MS)
    deadline = time.monotonic() + API_SECONDS
    while ui_stack.state["pids"].get("gateway") in (None, gateway):
        assert time.monotonic() < deadline, "the gateway was not restarted"
        time.sleep(0.1)
    expect(page.get_by_test_id("connection")).to_have_text("Live", timeout=EVENT_MS)
    wait_for_step_after(page, shown_state(page)["lastStep"])  # live again after the steps made meanwhile
    blip = shown_state(page)
    assert blip["firstStep"] == after["firstStep"], blip
    assert blip["points"] == blip["lastStep"] - blip["firstStep"] + 1 > after["points"], (after, blip)
    assert len(set(blip["lineIndexes"])) == len(blip["lineIndexes"]), "a log line is shown twice"
    screenshots.take(page, "caught up after a network blip")
    page.emulate_media(color_scheme="dark")
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-points", re.compile(r"[1-9]"))
    screenshots.take(page, "dark mode")
    page.emulate_media(color_scheme="light")

    phone = new_page(ui_admin, width=390, height=844)
    phone.goto(f"/?job_id={job_id}")
    expect(phone.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=UI_MS)
    expect(phone.get_by_test_id("gallery-item").first).to_be_visible(timeout=UI_MS)
    screenshots.take(phone, "running on a phone")
    phone.close()

    checkpoints = page.get_by_test_id("checkpoints").locator("tbody tr")
    page.get_by_role("button", name="Checkpoint now").click()
    expect(checkpoints.first).to_be_visible(timeout=EVENT_MS)  # the list follows the checkpoint event

    page.get_by_role("button", name="Stop", exact=True).click()
    expect(status).to_have_text(re.compile("stopping|stopped"))  # a fast machine may be done already
    expect(status).to_have_attribute("data-status", "stopped", timeout=EVENT_MS)
    stopped_at = page.get_by_test_id("step").inner_text().split(" / ")[0]
    expect(checkpoints.first).to_contain_text(f"checkpoint-{stopped_at}", timeout=EVENT_MS)  # the stop saved
    expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=UI_MS)
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_hidden(timeout=UI_MS)
    expect(page.get_by_test_id("job-picker")).to_contain_text(f"{job_id} · stopped", timeout=UI_MS)
    screenshots.take(page, "stopped with a checkpoint")

    # a run started elsewhere (here: the API) is picked up and followed; Cancel asks first
    with ui_stack.http(headers=ui_admin.headers, timeout=API_SECONDS) as http:
        started = http.post("/api/training/start", files={"environment": (None, demo_environment)})
    assert started.status_code == 200, started.text
    new_job = started.json()["job_id"]
    expect(page.get_by_test_id("job-id")).to_have_text(new_job, timeout=EVENT_MS)
    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_test_id("cancel-dialog")
    expect(dialog.get_by_role("heading", name="Cancel this run?")).to_be_visible()
    screenshots.take(page, "cancel asks first")
    dialog.get_by_role("button", name="Cancel run").click()
    expect(status).to_have_attribute("data-status", "cancelled", timeout=EVENT_MS)
    expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=UI_MS)


def test_a_config_that_cannot_train_lists_each_problem_and_nothing_starts(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    with ui_stack.http(headers=ui_admin.headers, timeout=API_SECONDS) as http:
        http.post("/api/configs/environments", json={"name": "dash-broken", "example": "tiny-demo"}).raise_for_status()
        config = http.get("/api/configs/dash-broken").json()["config"] | {"--num_train_epochs": 3}
        http.put("/api/configs/dash-broken", json={"config": config}).raise_for_status()
    page = new_page(ui_admin)
    page.goto("/")
    page.get_by_label("Active environment").select_option("dash-broken")
    # the header's switcher tells the page
    expect(page.get_by_test_id("environment")).to_have_text("dash-broken", timeout=UI_MS)
    runs_before = page.request.get("/api/training/runs").json()["runs"]
    page.get_by_role("button", name="Start training").click()
    problems = page.get_by_test_id("start-result")
    expect(problems).to_contain_text("Cannot Start Training", timeout=UI_MS)
    expect(problems.get_by_role("listitem").filter(has_text="--max_train_steps")).to_be_visible()
    expect(problems.get_by_role("link", name="Open Configuration")).to_have_attribute("href", "/config")
    assert page.request.get("/api/training/runs").json()["runs"] == runs_before
    screenshots.take(page, "problems listed")


def test_a_viewer_watches_but_sees_no_start_button_and_the_api_refuses_them(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, ui_admin, "dashboard-viewer", ["viewer"])
    page = new_page(viewer)
    page.goto("/")
    expect(page.get_by_role("heading", name="Training")).to_be_visible()
    expect(page.get_by_test_id("no-run")).to_contain_text("Runs you may see appear here", timeout=UI_MS)
    expect(page.get_by_test_id("start")).to_be_hidden()
    screenshots.take(page, "viewer dashboard")
    refused = page.request.post("/api/training/start")
    assert refused.status == 403 and "job.submit" in refused.text(), refused.text()
