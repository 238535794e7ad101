"""Scheduling decision time with 10 000 queued jobs, and submit throughput through the gateway (prints figures).

1. The decision alone: the policy over 10 000 queued jobs (5 priorities, 200 users in 20 teams, fair share on,
   aging, 8 GPUs of which 2 are free, jobs of 1-4 GPUs), as each dispatch pass runs it.
2. The pass as the scheduler runs it: the same queue read from its SQLite database (only the scheduling
   columns), plus the decision.
3. Submissions per second through POST /api/queue/submit of a real stack, from concurrent clients (each
   submission is validated by the config service, recorded and a dispatch pass runs; jobs target workers,
   of which there are none, so they stay queued and no training process starts).
Run: python bench/scheduling.py [--jobs 10000] [--submits 300] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import upgrade_to_head
from simpletuner.libs.testing.stack import create_first_admin, running_stack
from simpletuner.services.scheduler import store
from simpletuner.services.scheduler.models import MIGRATIONS, Job
from simpletuner.services.scheduler.policy import Limits, QueueIndex, Running, Waiting, plan
from simpletuner.services.scheduler.queue import JobQueue
from simpletuner.services.scheduler.settings import SchedulerSettings

GPUS = tuple(range(8))
LIMITS = Limits(
    max_concurrent=50, user_max_concurrent=2, team_max_concurrent=10, enable_fair_share=True, local_job_max_concurrent=8
)


def synthetic_queue(count: int, now: float) -> tuple[list[Waiting], list[Running], dict[str, float]]:
    rng = random.Random(7)
    waiting = [
        Waiting(
            job_id=uuid.uuid4().hex[:12],
            owner_id=f"user-{rng.randrange(200)}",
            team_key=f"team:{rng.randrange(20)}",
            base_priority=rng.choice((0, 10, 10, 10, 20, 30, 40)),
            override=None,
            submitted=now - rng.uniform(0, 86_400),
            gpu_count=rng.choice((1, 1, 2, 4)),
        )
        for _ in range(count)
    ]
    waiting.sort(key=lambda job: job.submitted)  # the order the scheduler reads them from its database
    running = [Running(f"run-{i}", f"user-{i}", f"team:{i}", (2 * i, 2 * i + 1)) for i in range(3)]
    usage = {f"team:{i}": rng.uniform(0, 500_000) for i in range(20)}
    return waiting, running, usage


def decision_times(waiting: list[Waiting], running: list[Running], usage: dict[str, float], rounds: int) -> list[float]:
    index = QueueIndex(waiting)  # the scheduler keeps it between passes
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        plan(index, running, GPUS, LIMITS, usage, time.time())
        times.append((time.perf_counter() - started) * 1000)
    return times


def database_pass_times(waiting: list[Waiting], running: list[Running], rounds: int) -> list[float]:
    """Read the queue from a real scheduler database and decide, as one dispatch pass does (nothing claimed)."""
    with tempfile.TemporaryDirectory(prefix="st-bench-db-") as folder:
        database = Database(f"sqlite:///{folder}/scheduler.db")
        upgrade_to_head(database, MIGRATIONS)
        now = datetime.now(UTC)
        with database.session() as db:
            for job in waiting:
                db.add(_row(job.job_id, store.QUEUED, job, now))
            for job in running:
                row = _row(job.job_id, store.RUNNING, waiting[0], now)
                row.allocated_gpus, row.placement, row.started_at = ",".join(map(str, job.gpus)), "local:bench", now
                db.add(row)
        settings = SchedulerSettings(aging_seconds=1800, reserve_after_seconds=3600)
        queue = JobQueue.__new__(JobQueue)  # the pass's reading half needs no service connections
        queue.__dict__.update(settings=settings, _index=QueueIndex(), _watermark=None, _reload_at=0.0, _applied={})
        started = time.perf_counter()
        with database.session() as db:
            queue._sync_index(db)  # type: ignore[attr-defined]
        print(f"queue index built from the database: {(time.perf_counter() - started) * 1000:.0f} ms (at start-up)")
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            with database.session() as db:
                now_running, usage, _ = queue._state(db)  # type: ignore[attr-defined]
                plan(queue._index, now_running, GPUS, LIMITS, usage, time.time())  # type: ignore[attr-defined]
            times.append((time.perf_counter() - started) * 1000)
        assert len(queue._index) == len(waiting)  # type: ignore[attr-defined]
        database.dispose()
    return times


def _row(job_id: str, status: str, job: Waiting, now: datetime) -> Job:
    submitted = now - timedelta(seconds=time.time() - job.submitted)
    return Job(
        id=job_id,
        request_id=None,
        owner_id=job.owner_id,
        owner_name=job.owner_id,
        team_key=job.team_key,
        config_name="bench",
        model_family="sd1x",
        config_json="{}",
        configs_dir="",
        status=status,
        base_priority=job.base_priority,
        priority_override=None,
        target="auto",
        worker_labels_json="{}",
        any_gpu=False,
        gpu_count=job.gpu_count,
        preferred_gpus="",
        allocated_gpus="",
        placement="",
        attempt=0,
        message="",
        submitted_at=submitted,
        updated_at=submitted,  # a queued job last changed when it was submitted
    )


async def submit_throughput(url: str, key: str, submits: int, clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    counter = iter(range(submits))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60) as http:
            for _ in counter:
                started = time.perf_counter()
                reply = await http.post("/api/queue/submit", json={"config_name": "bench", "target": "worker"})
                latencies.append((time.perf_counter() - started) * 1000)
                assert reply.status_code == 200 and reply.json()["status"] == "queued", reply.text

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return submits / (time.perf_counter() - started), latencies


def summary(name: str, times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"{name}: median {statistics.median(times):.2f} ms, p90 {cuts[89]:.2f} ms, p99 {cuts[98]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    waiting, running, usage = synthetic_queue(args.jobs, time.time())
    print(
        summary(f"decision over {args.jobs} queued jobs (policy)", decision_times(waiting, running, usage, args.rounds))
    )
    print(
        summary(
            f"dispatch pass over {args.jobs} queued jobs (index update + SQLite reads + policy)",
            database_pass_times(waiting, running, max(10, args.rounds // 5)),
        )
    )
    with tempfile.TemporaryDirectory(prefix="st-bench-") as workspace, running_stack(Path(workspace)) as stack:
        admin = create_first_admin(stack)
        with stack.http(headers=admin.headers) as http:
            http.post("/api/configs/environments", json={"name": "bench", "example": "tiny-demo"}).raise_for_status()
            http.post("/api/queue/concurrency", json={"user_max_concurrent": 20}).raise_for_status()
        rate, latencies = asyncio.run(submit_throughput(stack.url, admin.api_key, args.submits, args.clients))
    print(f"submit throughput: {rate:.1f} submissions/s with {args.clients} clients ({args.submits} submissions)")
    print(summary("submit latency", latencies))


if __name__ == "__main__":
    main()
