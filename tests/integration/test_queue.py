"""The shared GPU queue on the real stack: a declared 4-GPU inventory, real training processes, the seeds' curls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]) -> Iterator[RunningStack]:
    env = database_env(new_database()) | {
        "SIMPLETUNER_TRAINER_GPUS": "4xA100:40",  # a simulated inventory: runs still train, on the CPU
        "SIMPLETUNER_SCHEDULER_DISPATCH_INTERVAL_SECONDS": "1",
    }
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: RunningStack) -> Account:
    account = create_first_admin(stack)
    with stack.http(headers=account.headers) as http:
        for name, processes in (("two-gpus", 2), ("four-gpus", 4), ("gpu-zero", 1)):
            http.post("/api/configs/environments", json={"name": name, "example": "tiny-demo"}).raise_for_status()
            config = http.get(f"/api/configs/{name}").json()["config"]
            # long runs: each test ends its jobs itself
            config |= {"--num_processes": processes, "--max_train_steps": 100000, "--validation_steps": 100000}
            if name == "gpu-zero":
                config["--accelerate_visible_devices"] = "0"
            http.put(f"/api/configs/{name}", json={"config": config}).raise_for_status()
        limits = {"local_job_max_concurrent": 4, "user_max_concurrent": 10, "max_concurrent": 10}
        http.post("/api/queue/concurrency", json=limits).raise_for_status()
    return account


def submit(http: httpx.Client, config_name: str, **options: Any) -> dict[str, Any]:
    reply = http.post("/api/queue/submit", json={"config_name": config_name, **options})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def job(http: httpx.Client, job_id: str) -> dict[str, Any]:
    reply = http.get(f"/api/queue/jobs/{job_id}")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def wait_for_job(http: httpx.Client, job_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            found = job(http, job_id)
        except (httpx.TransportError, AssertionError):  # a restarted service is not back yet
            time.sleep(0.3)
            continue
        if done(found):
            return found
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never got there: {found}")


def cancel_all(http: httpx.Client) -> None:
    for listed in http.get("/api/queue", params={"limit": 200}).json()["jobs"]:
        http.post(f"/api/queue/{listed['job_id']}/cancel")
    for listed in http.get("/api/queue", params={"limit": 200}).json()["jobs"]:
        wait_for_job(http, listed["job_id"], lambda j: j["status"] in ("cancelled", "failed", "completed"))


def run_environment(stack: RunningStack, job_id: str) -> dict[str, str]:
    """The environment variables of a job's training process."""
    run_dir = str(stack.workspace / "private" / "runs" / job_id)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and run_dir in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pairs = (entry / "environ").read_bytes().split(b"\0")
                    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)
            except OSError:
                continue
        time.sleep(0.2)
    raise AssertionError(f"no process runs {run_dir}")


def test_jobs_get_disjoint_gpus_queue_when_full_and_start_when_gpus_free(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        first = submit(http, "two-gpus")
        second = submit(http, "two-gpus")
        assert (first["status"], first["allocated_gpus"], first["queue_position"]) == ("running", [0, 1], None)
        assert (second["status"], second["allocated_gpus"]) == ("running", [2, 3])
        third = submit(http, "two-gpus")
        assert (third["status"], third["allocated_gpus"], third["queue_position"]) == ("queued", [], 1)
        assert "GPU" in third["reason"]

        # each run sees only its own devices
        assert run_environment(stack, first["job_id"])["CUDA_VISIBLE_DEVICES"] == "0,1"
        assert run_environment(stack, second["job_id"])["CUDA_VISIBLE_DEVICES"] == "2,3"

        allocation = http.get("/api/system/status", params={"include_allocation": "true"}).json()["gpu_allocation"]
        assert allocation["allocated_gpus"] == [0, 1, 2, 3] and allocation["available_gpus"] == []
        assert allocation["running_local_jobs"] == 2
        holders = {device["index"]: device["job_id"] for device in allocation["devices"]}
        assert holders == {0: first["job_id"], 1: first["job_id"], 2: second["job_id"], 3: second["job_id"]}
        assert allocation["devices"][0] | {"job_id": None} == {
            "index": 0,
            "name": "A100",
            "memory_gb": 40.0,
            "allocated": True,
            "job_id": None,
        }
        local = http.get("/api/queue/stats").json()["local"]
        assert (local["running_jobs"], local["pending_jobs"], local["total_gpus"]) == (2, 1, 4)

        # no_wait refuses at once; the refusal is recorded, not queued
        refused = submit(http, "two-gpus", no_wait=True)
        assert refused["status"] == "rejected" and refused["success"] is False and "GPU" in refused["error"]

        # cancelling the first frees GPUs 0 and 1: the queued job starts on them by itself
        cancelled = http.post(f"/api/queue/{first['job_id']}/cancel").json()
        assert cancelled["status"] == "cancelled"
        started = wait_for_job(http, third["job_id"], lambda j: j["status"] == "running")
        assert started["allocated_gpus"] == [0, 1] and started["attempt"] == 1
        assert run_environment(stack, third["job_id"])["CUDA_VISIBLE_DEVICES"] == "0,1"
        cancel_all(http)


def test_a_job_that_cannot_fit_does_not_block_smaller_ones(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        holder = submit(http, "two-gpus")
        big = submit(http, "four-gpus")
        small = submit(http, "two-gpus")
        assert holder["status"] == "running"
        assert big["status"] == "queued" and "needs 4 GPU(s), 2 free" in big["reason"]
        assert (small["status"], small["allocated_gpus"]) == ("running", [2, 3])
        # a configured device id waits for that device unless any_gpu takes another
        pinned = submit(http, "gpu-zero")
        assert pinned["status"] == "queued" and "needs 1 GPU(s), 0 free" in pinned["reason"]
        http.post(f"/api/queue/{small['job_id']}/cancel").raise_for_status()  # GPUs 2 and 3 free up
        http.post("/api/queue/concurrency", json={}).raise_for_status()  # a change wakes the dispatcher
        waiting = wait_for_job(http, pinned["job_id"], lambda j: "[0] are busy" in (j["reason"] or ""))
        assert waiting["status"] == "queued"
        http.post(f"/api/queue/{big['job_id']}/cancel").raise_for_status()
        http.post(f"/api/queue/{pinned['job_id']}/cancel").raise_for_status()
        cancel_all(http)
        anywhere = submit(http, "gpu-zero", any_gpu=True)
        assert anywhere["status"] == "running"
        cancel_all(http)


def test_the_same_request_id_makes_one_job_and_a_dry_run_records_none(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        before = http.get("/api/queue", params={"include_completed": "true", "limit": 200}).json()["total"]
        dry = submit(http, "four-gpus", dry_run=True)
        assert dry["dry_run"] is True and dry["status"] == "running" and dry["allocated_gpus"] == [0, 1, 2, 3]
        once = submit(http, "two-gpus", request_id="retry-1")
        again = submit(http, "two-gpus", request_id="retry-1")
        assert again["job_id"] == once["job_id"] and again["replayed"] is True
        after = http.get("/api/queue", params={"include_completed": "true", "limit": 200}).json()["total"]
        assert after == before + 1
        cancel_all(http)


def test_priority_override_reorders_the_queue_and_is_reported(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 1}).raise_for_status()
        try:
            submit(http, "two-gpus")
            early = submit(http, "two-gpus", priority="low")
            late = submit(http, "two-gpus")
            order = [j["job_id"] for j in http.get("/api/queue", params={"status": "queued"}).json()["jobs"]]
            assert order == [late["job_id"], early["job_id"]]  # normal before low
            changed = http.post(f"/api/queue/{early['job_id']}/priority", json={"priority": 45}).json()
            assert changed == {
                "success": True,
                "job_id": early["job_id"],
                "previous_effective_priority": 0,
                "new_effective_priority": 45,
                "priority_override": 45,
            }
            order = [j["job_id"] for j in http.get("/api/queue", params={"status": "queued"}).json()["jobs"]]
            assert order == [early["job_id"], late["job_id"]]
            assert http.get(f"/api/queue/position/{early['job_id']}").json()["position"] == 1
            assert http.post(f"/api/queue/{early['job_id']}/priority", json={"priority": 51}).status_code == 422
        finally:
            cancel_all(http)
            http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 4}).raise_for_status()


def test_concurrency_limits_round_trip_as_the_seed_shows(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        reply = http.post("/api/queue/concurrency", json={"local_gpu_max_concurrent": 6, "local_job_max_concurrent": 2})
        assert reply.json()["local_gpu_max_concurrent"] == 6 and reply.json()["local_job_max_concurrent"] == 2
        stats = http.get("/api/queue/stats").json()
        assert (stats["local_gpu_max_concurrent"], stats["local_job_max_concurrent"]) == (6, 2)
        unlimited = http.post("/api/queue/concurrency", json={"local_gpu_max_concurrent": None}).json()
        assert unlimited["local_gpu_max_concurrent"] is None and unlimited["local_job_max_concurrent"] == 2
        assert http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 11}).status_code == 422
        http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 4}).raise_for_status()


def test_users_see_and_steer_only_their_own_jobs(stack: RunningStack, admin: Account) -> None:
    researcher = create_account(stack, admin, "queue-researcher", ["researcher"])
    viewer = create_account(stack, admin, "queue-viewer", ["viewer"])
    with stack.http(headers=admin.headers) as http, stack.http(headers=researcher.headers) as mine:
        theirs = submit(http, "two-gpus")
        assert mine.get(f"/api/queue/jobs/{theirs['job_id']}").status_code == 404
        assert mine.post(f"/api/queue/{theirs['job_id']}/cancel").status_code == 404
        assert all(j["owner_id"] == researcher.user_id for j in mine.get("/api/queue").json()["jobs"])
        assert mine.post(f"/api/queue/{theirs['job_id']}/priority", json={"priority": 1}).status_code == 403
        assert mine.post("/api/queue/concurrency", json={"max_concurrent": 1}).status_code == 403
        above = mine.post("/api/queue/submit", json={"config_name": "two-gpus", "priority": "critical"})
        assert above.status_code == 403 and "job.priority.high" in above.text
        own = submit(mine, "two-gpus")
        assert own["job"]["base_priority"] == 10 and own["job"]["owner"] == "queue-researcher"
        assert http.get(f"/api/queue/jobs/{own['job_id']}").json()["base_priority"] == 10
        assert admin_default_priority(http) == 30
        with stack.http() as watcher:  # viewers may not make API keys: a signed-in session
            login = {"username": viewer.username, "password": viewer.password}
            watcher.post("/api/auth/login", json=login).raise_for_status()
            assert watcher.post("/api/queue/submit", json={"config_name": "two-gpus"}).status_code == 403
            assert watcher.get("/api/queue/stats").status_code == 200
        cancel_all(http)


def admin_default_priority(http: httpx.Client) -> int:
    reply = submit(http, "two-gpus", dry_run=True)
    return int(reply["job"]["base_priority"])


def test_training_start_goes_through_the_queue(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 1}).raise_for_status()
        try:
            http.post("/api/configs/two-gpus/activate").raise_for_status()
            first = http.post("/api/training/start", files={"--max_train_steps": (None, "100000")})
            assert first.status_code == 200 and first.json()["status"] == "starting", first.text
            second = http.post("/api/training/start", files={"--max_train_steps": (None, "100000")})
            assert second.json()["status"] == "queued" and second.json()["queue_position"] == 1
            fragment = http.post("/api/training/start", headers={"HX-Request": "true"}, files={})
            assert "Training Queued" in fragment.text and "position 2" in fragment.text
        finally:
            cancel_all(http)
            http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 4}).raise_for_status()


def test_a_restarted_scheduler_keeps_every_job_and_goes_on_dispatching(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 1}).raise_for_status()
        try:
            running = submit(http, "two-gpus")
            waiting = submit(http, "two-gpus")
            assert waiting["status"] == "queued"
            scheduler_pid = stack.state["pids"]["scheduler"]
            os.kill(scheduler_pid, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while stack.state["pids"]["scheduler"] == scheduler_pid and time.monotonic() < deadline:
                time.sleep(0.2)
            # the supervisor brings it back; the jobs are where they were, then the next one starts
            assert wait_for_job(http, waiting["job_id"], lambda j: j["status"] == "queued")["queue_position"] == 1
            http.post(f"/api/queue/{running['job_id']}/cancel").raise_for_status()
            wait_for_job(http, waiting["job_id"], lambda j: j["status"] == "running")
        finally:
            cancel_all(http)
            http.post("/api/queue/concurrency", json={"local_job_max_concurrent": 4}).raise_for_status()


def test_a_run_that_ends_by_itself_frees_its_gpus(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        # one rank: two CPU ranks ending together can race in gloo under load (see the issue note)
        http.post("/api/configs/gpu-zero/activate").raise_for_status()
        short = http.post("/api/training/start", files={"--max_train_steps": (None, "2")}).json()
        ended = wait_for_job(http, short["job_id"], lambda j: j["status"] not in ("queued", "running"))
        assert ended["status"] == "completed", (ended["reason"], run_output(stack, short["job_id"]))
        allocation = http.get("/api/system/status", params={"include_allocation": "true"}).json()["gpu_allocation"]
        assert short["job_id"] not in {device["job_id"] for device in allocation["devices"]}


def run_output(stack: RunningStack, job_id: str) -> str:
    """The end of a run's console log, to say why it failed."""
    for log in (stack.workspace / "private" / "runs").glob(f"{job_id}*/output.log"):
        return log.read_text(errors="replace")[-3000:]
    return "(no run output)"


def jobs_cli(
    stack: RunningStack, account: Account, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIMPLETUNER_SERVER": stack.url, "SIMPLETUNER_API_KEY": account.api_key}
    command = [sys.executable, "-m", "simpletuner.libs.cli.main", "jobs", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_jobs_cli_submits_lists_follows_and_cancels_through_the_api(stack: RunningStack, admin: Account) -> None:
    dry = jobs_cli(stack, admin, "submit", "four-gpus", "--dry-run")
    assert dry.returncode == 0 and "would be job" in dry.stdout and "running on GPU(s) 0,1,2,3" in dry.stdout
    held = jobs_cli(stack, admin, "submit", "four-gpus")
    assert held.returncode == 0 and "running on GPU(s) 0,1,2,3" in held.stdout, held.stderr
    holder = held.stdout.split()[1]
    refused = jobs_cli(stack, admin, "submit", "two-gpus", "--no-wait")
    assert refused.returncode == 3 and "rejected" in refused.stdout
    waiting = jobs_cli(stack, admin, "submit", "two-gpus", "--any-gpu")
    assert "queued" in waiting.stdout and "position 1" in waiting.stdout
    listed = jobs_cli(stack, admin, "list")
    assert listed.returncode == 0 and holder in listed.stdout and "JOB" in listed.stdout.splitlines()[0]
    assert "running" in jobs_cli(stack, admin, "status", holder).stdout
    assert "cancelled" in jobs_cli(stack, admin, "cancel", holder).stdout
    with stack.http(headers=admin.headers) as http:
        cancel_all(http)
        # one rank: two CPU ranks ending together can race in gloo under load (see the issue note)
        http.post("/api/configs/gpu-zero/activate").raise_for_status()
        short = http.post("/api/training/start", files={"--max_train_steps": (None, "2")}).json()["job_id"]
    followed = jobs_cli(stack, admin, "logs", short, "--follow", timeout=WAIT_SECONDS * 2)
    assert followed.returncode == 0, followed.stderr
    assert "[training.progress]" in followed.stdout and "[training.status]" in followed.stdout
    assert "completed" in followed.stdout.splitlines()[-1].lower()
    no_key = subprocess.run(
        [sys.executable, "-m", "simpletuner.libs.cli.main", "jobs", "list"],
        env={k: v for k, v in os.environ.items() if k != "SIMPLETUNER_API_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_key.returncode == 2 and "SIMPLETUNER_API_KEY" in no_key.stderr


def rank_environments(stack: RunningStack, job_id: str) -> list[dict[str, str]]:
    """The environments of the rank processes of a job's run (the leader has no RANK)."""
    run_dir = str(stack.workspace / "private" / "runs" / job_id)
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and run_dir in (entry / "cmdline").read_bytes().decode(errors="replace"):
                pairs = (entry / "environ").read_bytes().split(b"\0")
                env = dict(pair.decode(errors="replace").split("=", 1) for pair in pairs if b"=" in pair)
                if "RANK" in env:
                    found.append(env)
        except OSError:
            continue
    return found


def test_a_job_on_two_gpus_runs_two_ranks_that_stop_together(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers, timeout=60) as http:
        http.post("/api/configs/two-gpus/activate").raise_for_status()
        job_id = http.post("/api/training/start", files={"--max_train_steps": (None, "100000")}).json()["job_id"]
        ranks = wait_until(lambda: len(found := rank_environments(stack, job_id)) == 2 and found)
        assert sorted((env["RANK"], env["WORLD_SIZE"], env["CUDA_VISIBLE_DEVICES"]) for env in ranks) == [
            ("0", "2", "0,1"),
            ("1", "2", "0,1"),
        ]
        wait_until(
            lambda: (
                (http.get("/api/training/status", params={"job_id": job_id}).json()["progress"] or {}).get("step", 0)
                >= 2
            )
        )
        http.post("/api/training/stop", json={"job_id": job_id}).raise_for_status()
        stopped = wait_for_job(http, job_id, lambda j: j["status"] not in ("queued", "running"))
        assert stopped["status"] == "stopped", stopped
        steps = [
            event["step"]
            for event in http.get("/api/training/events", params={"job_id": job_id, "since_index": 0}).json()["events"]
            if event["type"] == "training.progress"
        ]
        assert steps == list(range(1, len(steps) + 1))  # one report per step: only rank 0 reports
        saved = http.get("/api/training/checkpoints", params={"job_id": job_id}).json()["checkpoints"]
        assert saved and saved[0]["step"] == steps[-1]  # both ranks stopped at the same step, and it saved


def wait_until(check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_cleanup_deletes_only_finished_jobs_older_than_asked(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        waiting = http.post("/api/queue/submit", json={"config_name": "two-gpus", "target": "worker"}).json()
        everything = {"include_completed": "true", "limit": 200}
        finished = [j for j in http.get("/api/queue", params=everything).json()["jobs"] if j["ended_at"]]
        assert len(finished) >= 2  # earlier tests' jobs
        old, recent = finished[0]["job_id"], finished[1]["job_id"]
        long_ago = datetime.now(UTC) - timedelta(days=40)
        scheduler_db(stack, "UPDATE scheduler_jobs SET ended_at = :t WHERE id = :id", t=long_ago, id=old)
        cleaned = http.post("/api/queue/cleanup", params={"days": 30}).json()
        assert cleaned == {"success": True, "deleted": 1, "days": 30}
        assert http.get(f"/api/queue/jobs/{old}").status_code == 404
        assert http.get(f"/api/queue/jobs/{recent}").status_code == 200  # ended today: kept
        assert http.get(f"/api/queue/jobs/{waiting['job_id']}").json()["status"] == "queued"  # never finished ones
        assert http.post("/api/queue/cleanup", params={"days": 0}).status_code == 422
        http.post(f"/api/queue/{waiting['job_id']}/cancel").raise_for_status()


def scheduler_db(stack: RunningStack, sql: str, **params: object) -> None:
    """Edit the scheduler's table directly (to age a job: no API makes time pass)."""
    url = stack.database_url or f"sqlite:///{stack.workspace / 'private' / 'db' / 'scheduler.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(sql), params)
    engine.dispose()
