"""Remote workers over HTTP on the real stack: registry, tokens, label globs, leases, fencing, drain, removal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, database_env, running_stack

pytestmark = pytest.mark.slow

LEASE_SECONDS = 3


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    env = database_env(new_database()) | {"SIMPLETUNER_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS)}
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    account = create_first_admin(stack)
    with stack.http(headers=account.headers) as http:
        http.post("/api/configs/environments", json={"name": "remote", "example": "tiny-demo"}).raise_for_status()
        http.post("/api/queue/concurrency", json={"user_max_concurrent": 20, "max_concurrent": 50}).raise_for_status()
    return account


def new_worker(http: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    reply = http.post("/api/admin/workers", json={"name": name, **fields})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def call(stack: RunningStack, token: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    with stack.http(headers={"X-Worker-Token": token}) as http:
        return http.post(f"/api/workers/{path}", json=body or {})


def submit(http: httpx.Client, **options: Any) -> dict[str, Any]:
    reply = http.post("/api/queue/submit", json={"config_name": "remote", "target": "worker", **options})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_admins_create_list_drain_rotate_and_remove_workers(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        made = new_worker(http, "gpu-box-1", labels={"gpu_type": "a100-80g", "team": "nlp"})
        assert made["token"].startswith("wt_")
        assert made["connection_command"].startswith("simpletuner worker --orchestrator http://")
        assert (
            f"--token {made['token']}" in made["connection_command"]
            and "--labels gpu_type=a100-80g" in made["connection_command"]
        )
        assert http.post("/api/admin/workers", json={"name": "gpu-box-1"}).status_code == 409
        listed = {w["name"]: w for w in http.get("/api/admin/workers").json()["workers"]}
        assert listed["gpu-box-1"]["status"] == "connecting" and "token" not in listed["gpu-box-1"]

        registered = call(stack, made["token"], "register", {"gpu_name": "A100", "gpu_count": 2}).json()
        assert registered["worker"] | {"last_heartbeat": None, "created_at": None} == {
            "worker_id": made["worker_id"], "name": "gpu-box-1", "worker_type": "persistent", "status": "idle",
            "gpu_name": "A100", "gpu_count": 2, "gpu_info": {"name": "A100", "count": 2},
            "labels": {"gpu_type": "a100-80g", "team": "nlp"}, "current_job_id": None, "last_heartbeat": None,
            "created_at": None, "connected": True,
        }  # fmt: skip
        seed_view = [
            {k: w[k] for k in ("name", "status", "gpu_name", "gpu_count")}
            for w in http.get("/api/admin/workers").json()["workers"]
        ]
        assert {"name": "gpu-box-1", "status": "idle", "gpu_name": "A100", "gpu_count": 2} in seed_view
        assert http.get("/api/queue/stats").json()["workers"]["idle_workers"] >= 1

        rotated = http.post(f"/api/admin/workers/{made['worker_id']}/token").json()
        assert call(stack, made["token"], "heartbeat").status_code == 401  # the old token stops working
        assert call(stack, rotated["token"], "heartbeat").status_code == 200
        assert call(stack, "", "heartbeat").status_code == 401

        drained = http.post(f"/api/admin/workers/{made['worker_id']}/drain").json()
        assert drained["worker"]["status"] == "draining"
        assert call(stack, rotated["token"], "claim").json()["shutdown"] is True
        http.delete(f"/api/admin/workers/{made['worker_id']}").raise_for_status()
        assert call(stack, rotated["token"], "heartbeat").status_code == 401


def test_workers_take_jobs_by_label_globs_under_a_lease(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        nlp = new_worker(http, "nlp-box", labels={"gpu_type": "a100-80g", "team": "nlp"})
        vision = new_worker(http, "vision-box", labels={"gpu_type": "h100", "team": "vision"})
        for worker in (nlp, vision):
            call(stack, worker["token"], "register", {"gpu_name": "GPU", "gpu_count": 1}).raise_for_status()
        wanted = submit(http, worker_labels={"gpu_type": "a100*", "team": "nlp"})
        assert wanted["status"] == "queued"
        assert call(stack, vision["token"], "claim").json()["job"] is None  # h100 does not match a100*
        taken = call(stack, nlp["token"], "claim").json()
        assert taken["job"]["job_id"] == wanted["job_id"] and taken["job"]["attempt"] == 1
        assert taken["job"]["status"] == "running" and taken["job"]["placement"] == f"worker:{nlp['worker_id']}"
        assert taken["lease_expires_at"] and '"model_family"' in taken["config"]
        beat = call(stack, nlp["token"], "heartbeat", {"job_id": wanted["job_id"], "attempt": 1}).json()
        assert beat["abandon"] is False and beat["worker"]["status"] == "busy"
        done = call(stack, nlp["token"], f"job/{wanted['job_id']}/status", {"status": "completed", "attempt": 1})
        assert done.json()["abandon"] is False
        assert http.get(f"/api/queue/jobs/{wanted['job_id']}").json()["status"] == "completed"
        assert call(stack, nlp["token"], "claim").json()["worker"]["status"] == "idle"


def test_a_silent_worker_loses_its_job_to_another_and_is_fenced(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        first = new_worker(http, "flaky-box")
        second = new_worker(http, "steady-box", worker_type="ephemeral")
        for worker in (first, second):
            call(stack, worker["token"], "register", {"gpu_count": 0}).raise_for_status()
        job = submit(http)
        held = call(stack, first["token"], "claim").json()
        assert held["job"]["job_id"] == job["job_id"]
        # flaky-box goes silent: its lease runs out, the job queues again (not failed) for a new attempt
        deadline = time.monotonic() + 30
        while http.get(f"/api/queue/jobs/{job['job_id']}").json()["status"] != "queued":
            assert time.monotonic() < deadline, "the lease never expired"
            time.sleep(0.5)
        requeued = http.get(f"/api/queue/jobs/{job['job_id']}").json()
        assert "lost the lease" in requeued["reason"] and requeued["attempt"] == 1
        offline = {w["name"]: w["status"] for w in http.get("/api/admin/workers").json()["workers"]}
        assert offline["flaky-box"] == "offline"
        taken = call(stack, second["token"], "claim").json()
        assert taken["job"]["job_id"] == job["job_id"] and taken["job"]["attempt"] == 2
        # the stale worker comes back: its heartbeat and its report are refused
        stale = call(stack, first["token"], "heartbeat", {"job_id": job["job_id"], "attempt": 1}).json()
        assert stale["abandon"] is True
        late = call(stack, first["token"], f"job/{job['job_id']}/status", {"status": "failed", "attempt": 1}).json()
        assert late["abandon"] is True
        assert http.get(f"/api/queue/jobs/{job['job_id']}").json()["status"] == "running"
        # the holder reports; an ephemeral worker leaves after its job
        done = call(stack, second["token"], f"job/{job['job_id']}/status", {"status": "completed", "attempt": 2})
        assert done.json()["shutdown"] is True
        final = http.get(f"/api/queue/jobs/{job['job_id']}").json()
        assert (final["status"], final["attempt"]) == ("completed", 2)


def test_removing_a_busy_worker_puts_its_job_back_in_the_queue(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        worker = new_worker(http, "doomed-box")
        call(stack, worker["token"], "register", {"gpu_count": 0}).raise_for_status()
        job = submit(http)
        assert call(stack, worker["token"], "claim").json()["job"]["job_id"] == job["job_id"]
        http.delete(f"/api/admin/workers/{worker['worker_id']}").raise_for_status()
        back = http.get(f"/api/queue/jobs/{job['job_id']}").json()
        assert back["status"] == "queued" and "removed" in back["reason"]
        http.post(f"/api/queue/{job['job_id']}/cancel").raise_for_status()


def test_target_auto_leaves_a_job_to_an_idle_worker_before_local_gpus(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        worker = new_worker(http, "eager-box", labels={"site": "berlin"})
        call(stack, worker["token"], "register", {"gpu_count": 0}).raise_for_status()
        job = submit(http, target="auto", worker_labels={"site": "ber*"})
        assert (
            job["status"] == "queued"
            and job["reason"] == "waiting: left for idle worker eager-box, which takes it next"
        )
        taken = call(stack, worker["token"], "claim").json()
        assert taken["job"]["job_id"] == job["job_id"]
        assert http.get(f"/api/queue/jobs/{job['job_id']}").json()["allocated_worker_id"] == worker["worker_id"]
        http.post(f"/api/queue/{job['job_id']}/cancel").raise_for_status()
        beat = call(stack, worker["token"], "heartbeat", {"job_id": job["job_id"], "attempt": 1}).json()
        assert beat["abandon"] is True  # cancelled: the worker must stop the run
        assert beat["worker"]["status"] == "idle" and beat["worker"]["current_job_id"] is None  # free again
        http.delete(f"/api/admin/workers/{worker['worker_id']}").raise_for_status()
