"""Quotas and approvals at submission, on the real stack (jobs target workers, so nothing trains)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import nats
import pytest

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams, subjects
from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

pytestmark = pytest.mark.slow

RATE = 2.5  # per GPU-hour
EXPIRE_HOURS = 0.003  # 10.8 s: long enough to decide in, short enough to watch expire


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    env = database_env(new_database()) | {
        "SIMPLETUNER_SCHEDULER_GPU_HOUR_RATE": str(RATE),
        "SIMPLETUNER_SCHEDULER_APPROVAL_EXPIRE_HOURS": str(EXPIRE_HOURS),
        "SIMPLETUNER_SCHEDULER_DISPATCH_INTERVAL_SECONDS": "0.5",
    }
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    account = create_first_admin(stack)
    with stack.http(headers=account.headers) as http:
        for name in ("shared", "prod-release"):
            http.post("/api/configs/environments", json={"name": name, "example": "tiny-demo"}).raise_for_status()
    return account


def submit(http: httpx.Client, config_name: str = "shared", **options: Any) -> dict[str, Any]:
    reply = http.post("/api/queue/submit", json={"config_name": config_name, "target": "worker", **options})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def set_user_quota(http: httpx.Client, user_id: str, quota_type: str, limit: float | None, action: str) -> None:
    body = {"quota_type": quota_type, "limit": limit, "action": action}
    http.post(f"/api/users/{user_id}/quotas", json=body).raise_for_status()


def cancel(http: httpx.Client, job_ids: list[str]) -> None:
    for job_id in job_ids:
        http.post(f"/api/queue/{job_id}/cancel")


def test_quotas_block_warn_or_ask_for_approval_and_report_what_is_used(stack: RunningStack, admin: Account) -> None:
    user = create_account(stack, admin, "quota-user", ["researcher"])
    with stack.http(headers=admin.headers) as http, stack.http(headers=user.headers) as mine:
        set_user_quota(http, user.user_id, "jobs_per_hour", 2, "block")
        first, second = submit(mine), submit(mine)
        assert (first["status"], second["status"]) == ("queued", "queued")
        third = submit(mine)
        assert third["status"] == "rejected" and third["success"] is False
        assert "jobs_per_hour quota: 2 used + 1" in third["error"] and "ceiling of 2" in third["error"]
        set_user_quota(http, user.user_id, "jobs_per_hour", None, "block")

        # warn: accepted, with the warning
        set_user_quota(http, user.user_id, "concurrent_jobs", 2, "warn")
        warned = submit(mine)
        assert warned["status"] == "queued"
        assert any("concurrent_jobs quota" in w["message"] for w in warned["warnings"])
        set_user_quota(http, user.user_id, "concurrent_jobs", None, "block")

        # a spend ceiling: 1 GPU x 5 h x 2.5 = 12.5 would pass 10, so an approver decides
        set_user_quota(http, user.user_id, "cost_daily", 10, "require_approval")
        costly = submit(mine, estimated_hours=5)
        assert costly["status"] == "pending_approval" and costly["requires_approval"] is True
        assert costly["job"]["estimated_cost"] == pytest.approx(12.5)
        assert "cost_daily quota" in costly["reason"]

        quotas = {q["quota_type"]: q for q in mine.get("/api/quotas/me").json()["quotas"]}
        assert quotas["cost_daily"] | {"used": 0} == {
            "quota_type": "cost_daily",
            "limit": 10.0,
            "used": 0,
            "remaining": 10.0,
            "action": "require_approval",
            "scope": "user",
            "scope_id": user.user_id,
        }
        assert mine.get("/api/quotas/me").json()["gpu_hour_rate"] == RATE
        cancel(http, [first["job_id"], second["job_id"], warned["job_id"], costly["job_id"]])


def test_the_lowest_ceiling_of_user_team_and_organisation_binds(stack: RunningStack, admin: Account) -> None:
    user = create_account(stack, admin, "team-member", ["researcher"])
    with stack.http(headers=admin.headers) as http, stack.http(headers=user.headers) as mine:
        org = http.post("/api/orgs", json={"name": "Lab", "slug": "lab"}).json()
        team = http.post(f"/api/orgs/{org['id']}/teams", json={"name": "Vision", "slug": "vision"}).json()
        http.post(f"/api/orgs/{org['id']}/members", json={"user_id": user.user_id}).raise_for_status()
        http.post(
            f"/api/orgs/{org['id']}/teams/{team['id']}/members", json={"user_id": user.user_id}
        ).raise_for_status()
        http.post(f"/api/orgs/{org['id']}/quotas", json={"quota_type": "jobs_per_day", "limit": 5}).raise_for_status()
        team_quota = {"quota_type": "jobs_per_day", "limit": 1, "action": "block"}
        http.post(f"/api/orgs/{org['id']}/teams/{team['id']}/quotas", json=team_quota).raise_for_status()
        set_user_quota(http, user.user_id, "jobs_per_day", 1, "block")
        accepted = submit(mine)
        refused = submit(mine)
        assert accepted["status"] == "queued" and refused["status"] == "rejected"
        binding = {q["quota_type"]: q for q in mine.get("/api/quotas/me").json()["quotas"]}["jobs_per_day"]
        assert (binding["limit"], binding["used"]) == (1.0, 1.0)
        # the job's fair-share team is the user's team
        assert accepted["job"]["team_id"] == team["id"]
        cancel(http, [accepted["job_id"]])


def test_approval_rules_hold_jobs_until_a_lead_decides(stack: RunningStack, admin: Account) -> None:
    newcomer = create_account(stack, admin, "newcomer", ["researcher"])
    lead = create_account(stack, admin, "team-lead", ["lead", "researcher"])
    with stack.http(headers=admin.headers) as http:
        assert http.post("/api/approvals/rules", json={"name": "bad", "condition": "config_pattern"}).status_code == 400
        first_job = http.post("/api/approvals/rules", json={"name": "newcomers", "condition": "first_job"})
        assert first_job.status_code == 201, first_job.text
        prod = {"name": "production", "condition": "config_pattern", "pattern": "prod-*"}
        http.post("/api/approvals/rules", json=prod).raise_for_status()
        assert {r["name"] for r in http.get("/api/approvals/rules").json()} >= {"newcomers", "production"}
    with stack.http(headers=newcomer.headers) as mine, stack.http(headers=lead.headers) as approver:
        held = submit(mine)
        assert held["status"] == "pending_approval" and "newcomers: the first job of a new user" in held["reason"]
        assert held["job"]["approval_expires_at"] is not None
        assert mine.post(f"/api/queue/{held['job_id']}/approve").status_code == 403  # researchers cannot approve
        listed = approver.get("/api/approvals/requests").json()
        assert held["job_id"] in {r["job_id"] for r in listed["requests"]}
        approved = approver.post(f"/api/queue/{held['job_id']}/approve", json={"reason": "welcome"}).json()
        assert approved["status"] == "queued"
        assert approver.post(f"/api/queue/{held['job_id']}/approve").status_code == 400  # decided already

        released = submit(mine, "prod-release")
        assert "production: environment 'prod-release' matches 'prod-*'" in released["reason"]
        rejected = approver.post(f"/api/approvals/requests/{released['job_id']}/reject", json={"reason": "not yet"})
        assert rejected.json()["status"] == "rejected"
        assert rejected.json()["job"]["reason"] == "rejected by team-lead: not yet"

        own = submit(approver, "prod-release")  # a lead's own job needs another approver (or admin.queue)
        assert approver.post(f"/api/queue/{own['job_id']}/approve").status_code == 403
        expired = wait_for(mine, own["job_id"], lambda j: j["status"] == "rejected", headers=lead.headers)
        assert "expired" in expired["reason"]
    with stack.http(headers=admin.headers) as http:
        audit = http.get("/api/audit", params={"limit": 1000}).json()["events"]
        decided = {(e["event_type"], e["target_id"]) for e in audit}
        assert ("job.approved", held["job_id"]) in decided and ("job.rejected", released["job_id"]) in decided
        for rule in http.get("/api/approvals/rules").json():
            http.delete(f"/api/approvals/rules/{rule['id']}").raise_for_status()
        cancel(http, [held["job_id"]])
    states = asyncio.run(published_states(stack, held["job_id"]))
    assert states[:3] == [("pending_approval", "unspecified"), ("queued", "pending_approval"), ("cancelled", "queued")]


def wait_for(
    http: httpx.Client, job_id: str, done: Callable[[dict[str, Any]], bool], headers: dict[str, str]
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = http.get(f"/api/queue/jobs/{job_id}", headers=headers).json()
        if done(job):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never got there")


async def published_states(stack: RunningStack, job_id: str) -> list[tuple[str, str]]:
    """(state, previous state) of each change of a job on the SIMPLETUNER_JOBS stream."""
    client = await nats.connect(stack.state["nats_url"])
    try:
        sub = await client.jetstream().subscribe(
            subjects.job_state_subject(job_id), stream=streams.JOBS.name, ordered_consumer=True
        )
        found = []
        while True:
            try:
                message = await sub.next_msg(timeout=1)
            except TimeoutError:
                return found
            change = events_pb2.Event.FromString(message.data).job_state_changed
            status = change.job.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_number
            found.append(
                tuple(
                    status[value].name.removeprefix("JOB_STATUS_").lower()
                    for value in (change.job.status, change.previous_status)
                )
            )
    finally:
        await client.close()
