"""The Queue page on a stack with two declared GPUs: jobs running and waiting, priorities, cancelling,
approvals by a lead, the concurrency limits and clean-up, and a researcher who sees only what they may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
)

SEEN_MS = 30_000  # the page polls every few seconds and a slow machine starts runs slowly
STARTED_MS = 90_000  # a cancelled run's GPUs go to the next job: the trainer starts a new process


# The shared stack has no GPUs; this one declares two (runs still train, on the CPU, one thread each).
STACK_ENV = {
    "SIMPLETUNER_TRAINER_GPUS": "2xA100:40",
    "SIMPLETUNER_SCHEDULER_DISPATCH_INTERVAL_SECONDS": "1",
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="module")
def queue_admin(ui_stack: RunningStack, ui_admin: Account) -> Account:
    """The first admin, with a long one-GPU run ("one-gpu") and two environments that never train here."""
    with ui_stack.http(headers=ui_admin.headers) as http:
        for name in ("one-gpu", "shared", "prod-release"):
            http.post("/api/configs/environments", json={"name": name, "example": "tiny-demo"}).raise_for_status()
        config = http.get("/api/configs/one-gpu").json()["config"]
        # long runs: each test ends its jobs itself
        config |= {"--num_processes": 1, "--max_train_steps": 100000, "--validation_steps": 100000}
        http.put("/api/configs/one-gpu", json={"config": config}).raise_for_status()
    return ui_admin


def submit(http: httpx.Client, config_name: str, **options: Any) -> dict[str, Any]:
    reply = http.post("/api/queue/submit", json={"config_name": config_name, **options})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def cancel_all(http: httpx.Client) -> None:
    for job in http.get("/api/queue", params={"limit": 200}).json()["jobs"]:
        http.post(f"/api/queue/{job['job_id']}/cancel")


def job_row(page: Page, job: dict[str, Any]) -> Locator:
    return page.get_by_test_id(f"job-row-{job['job_id']}")


def snap(screenshots: Screenshots, page: Page, step: str) -> None:
    """A full-page screenshot from the top (scrolled, the sticky bar and menu land mid-page in it)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshots.take(page, step)


def test_an_admin_sees_jobs_on_the_gpus_changes_a_priority_and_cancels_a_run(
    ui_stack: RunningStack, queue_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page(queue_admin)
    page.goto("/queue")
    limits = page.get_by_test_id("concurrency-settings")
    limits.get_by_label("Local jobs at once").fill("11")
    limits.get_by_role("button", name="Save limits").click()
    expect(page.get_by_test_id("limit-error-local_job_max_concurrent")).to_contain_text("less than or equal to 10")
    snap(screenshots, page, "a limit out of bounds is refused next to its field")
    limits.get_by_label("Local jobs at once").fill("1")
    limits.get_by_role("button", name="Save limits").click()
    expect(limits.get_by_role("status")).to_have_text("Limits saved; the scheduler applies them to its next decision.")

    with ui_stack.http(headers=queue_admin.headers) as http:
        try:
            running = submit(http, "one-gpu")
            waiting = submit(http, "one-gpu")
            low = submit(http, "one-gpu", priority="low")
            assert [j["status"] for j in (running, waiting, low)] == ["running", "queued", "queued"]

            expect(job_row(page, running).get_by_test_id("job-status")).to_have_text("running", timeout=SEEN_MS)
            expect(job_row(page, running).get_by_test_id("job-placement")).to_have_text("local · GPU 0")
            expect(job_row(page, waiting).get_by_test_id("job-position")).to_have_text("#1")
            expect(job_row(page, waiting)).to_contain_text("the local limit of 1 running job(s) is reached")
            expect(job_row(page, low).get_by_test_id("job-position")).to_have_text("#2")
            expect(job_row(page, low).get_by_test_id("job-priority")).to_have_text("low · 0")
            expect(page.get_by_test_id("gpu-0")).to_contain_text(running["job_id"][:8])
            expect(page.get_by_test_id("gpu-0")).to_contain_text("in use")
            expect(page.get_by_test_id("gpu-1")).to_contain_text("free")
            expect(page.get_by_test_id("stat-queued")).to_have_text("2")
            expect(page.get_by_test_id("stat-gpus")).to_have_text("1 / 2")
            snap(screenshots, page, "one job runs on GPU 0 and two wait in order")

            job_row(page, low).get_by_role("button", name="Priority").click()
            dialog = page.get_by_test_id("priority-dialog")
            dialog.get_by_label("New priority (0–50)").fill("60")
            dialog.get_by_role("button", name="Set priority").click()
            expect(dialog.get_by_role("alert")).to_contain_text("from 0 (lowest) to 50 (highest)")
            dialog.get_by_label("New priority (0–50)").fill("45")
            dialog.get_by_role("button", name="Set priority").click()
            expect(dialog).to_be_hidden()
            expect(job_row(page, low).get_by_test_id("job-position")).to_have_text("#1")
            expect(job_row(page, low)).to_contain_text("override (base 0)")
            expect(job_row(page, waiting).get_by_test_id("job-position")).to_have_text("#2")
            assert http.get(f"/api/queue/jobs/{low['job_id']}").json()["priority_override"] == 45
            snap(screenshots, page, "the raised job moves to the head of the queue")

            job_row(page, running).get_by_role("button", name="Cancel", exact=True).click()
            page.get_by_test_id("cancel-dialog").get_by_role("button", name="Cancel job").click()
            expect(job_row(page, running)).to_have_count(0)
            # its GPU goes to the job now at the head of the queue
            expect(job_row(page, low).get_by_test_id("job-status")).to_have_text("running", timeout=STARTED_MS)
            expect(page.get_by_test_id("gpu-0")).to_contain_text(low["job_id"][:8], timeout=SEEN_MS)
            expect(job_row(page, waiting).get_by_test_id("job-position")).to_have_text("#1")
            assert http.get(f"/api/queue/jobs/{running['job_id']}").json()["status"] == "cancelled"
            snap(screenshots, page, "the cancelled run's GPU went to the next job")
        finally:
            cancel_all(http)
            http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 4}).raise_for_status()

    page.get_by_label("Older than (days)").fill("0")
    page.get_by_role("button", name="Delete old jobs").click()
    expect(page.locator("#cleanup-error")).to_have_text("Enter a whole number of days from 1 to 3650.")
    page.get_by_label("Older than (days)").fill("30")
    page.get_by_role("button", name="Delete old jobs").click()
    expect(page.locator(".toast").filter(has_text="Deleted 0 finished jobs older than 30 days")).to_be_visible()


def test_a_held_job_waits_until_a_lead_approves_or_rejects_it_in_the_page(
    ui_stack: RunningStack, queue_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    submitter = create_account(ui_stack, queue_admin, "release-author", ["researcher"])
    lead = create_account(ui_stack, queue_admin, "release-lead", ["lead", "researcher"])
    with ui_stack.http(headers=queue_admin.headers) as http, ui_stack.http(headers=submitter.headers) as mine:
        rule = {"name": "production", "condition": "config_pattern", "pattern": "prod-*"}
        rule_id = http.post("/api/approvals/rules", json=rule).json()["id"]
        try:
            held = submit(mine, "prod-release", target="worker")
            doubtful = submit(mine, "prod-release", target="worker")
            assert (held["status"], doubtful["status"]) == ("pending_approval", "pending_approval")

            page = new_page(lead)
            page.goto("/queue")
            approvals = page.get_by_test_id("pending-approvals")
            expect(approvals.get_by_test_id("pending-count")).to_have_text("2", timeout=SEEN_MS)
            expect(approvals.get_by_test_id(f"approval-{held['job_id']}")).to_contain_text(
                "production: environment 'prod-release' matches 'prod-*'"
            )
            expect(job_row(page, held).get_by_test_id("job-status")).to_have_text("pending approval")
            snap(screenshots, page, "two held jobs wait for the lead")

            approvals.get_by_test_id(f"approval-{held['job_id']}").get_by_role("button", name="Approve").click()
            expect(approvals.get_by_test_id("pending-count")).to_have_text("1")
            expect(job_row(page, held).get_by_test_id("job-status")).to_have_text("queued")

            approvals.get_by_test_id(f"approval-{doubtful['job_id']}").get_by_role("button", name="Reject").click()
            dialog = page.get_by_test_id("reject-dialog")
            dialog.get_by_role("button", name="Reject").click()
            expect(dialog.get_by_role("alert")).to_have_text("Say why, so the submitter knows what to change.")
            dialog.get_by_label("Reason (shown to the submitter)").fill("not before the release")
            snap(screenshots, page, "the lead says why a job is rejected")
            dialog.get_by_role("button", name="Reject").click()
            expect(dialog).to_be_hidden()
            expect(approvals).to_be_hidden()
            expect(job_row(page, doubtful)).to_have_count(0)
            snap(screenshots, page, "nothing waits for approval any more")

            decided = mine.get(f"/api/queue/jobs/{doubtful['job_id']}").json()
            assert (decided["status"], decided["reason"]) == (
                "rejected",
                "rejected by release-lead: not before the release",
            )
            assert mine.get(f"/api/queue/jobs/{held['job_id']}").json()["status"] == "queued"
        finally:
            http.delete(f"/api/approvals/rules/{rule_id}").raise_for_status()
            cancel_all(http)


def test_a_researcher_sees_only_their_jobs_and_actions_and_the_api_refuses_the_rest(
    ui_stack: RunningStack, queue_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    researcher = create_account(ui_stack, queue_admin, "queue-member", ["researcher"])
    with ui_stack.http(headers=queue_admin.headers) as http, ui_stack.http(headers=researcher.headers) as mine:
        quota = {"quota_type": "jobs_per_day", "limit": 5, "action": "block"}
        http.post(f"/api/users/{researcher.user_id}/quotas", json=quota).raise_for_status()
        try:
            own = submit(mine, "shared", target="worker")
            theirs = submit(http, "shared", target="worker")

            page = new_page(researcher)
            page.goto("/queue")
            expect(job_row(page, own).get_by_test_id("job-status")).to_have_text("queued", timeout=SEEN_MS)
            expect(job_row(page, theirs)).to_have_count(0)
            expect(job_row(page, own).get_by_role("button", name="Cancel", exact=True)).to_be_visible()
            for action in ("Priority", "Approve", "Reject"):
                expect(page.get_by_role("button", name=action)).to_have_count(0)
            expect(page.get_by_test_id("concurrency-settings")).to_be_hidden()
            expect(page.get_by_role("button", name="Delete old jobs")).to_be_hidden()
            expect(page.get_by_label("Only mine")).to_be_hidden()
            expect(page.get_by_test_id("my-quota")).to_contain_text("Jobs per day")
            expect(page.get_by_test_id("my-quota")).to_contain_text("1 / 5")
            snap(screenshots, page, "a researcher sees their job, its cancel button and their quota")

            # the API refuses what the page does not offer
            assert mine.post(f"/api/queue/{own['job_id']}/priority", json={"priority": 50}).status_code == 403
            assert mine.post(f"/api/queue/{own['job_id']}/approve").status_code == 403
            assert mine.post("/api/queue/concurrency", json={"max_concurrent": 1}).status_code == 403
            assert mine.post("/api/queue/cleanup", params={"days": 1}).status_code == 403
            assert mine.post(f"/api/queue/{theirs['job_id']}/cancel").status_code == 404

            phone = new_page(researcher, width=390, height=844)
            phone.goto("/queue")
            expect(job_row(phone, own).get_by_test_id("job-status")).to_have_text("queued", timeout=SEEN_MS)
            snap(screenshots, phone, "the queue on a phone")

            job_row(page, own).get_by_role("button", name="Cancel", exact=True).click()
            page.get_by_test_id("cancel-dialog").get_by_role("button", name="Cancel job").click()
            expect(job_row(page, own)).to_have_count(0)
            page.get_by_label("Include finished").check()
            expect(job_row(page, own).get_by_test_id("job-status")).to_have_text("cancelled")
            expect(job_row(page, own).get_by_role("button", name="Cancel", exact=True)).to_have_count(0)
            snap(screenshots, page, "the cancelled job among the finished ones")
        finally:
            http.post(f"/api/users/{researcher.user_id}/quotas", json=quota | {"limit": None}).raise_for_status()
            cancel_all(http)
