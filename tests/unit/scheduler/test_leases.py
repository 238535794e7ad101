"""Leases on the scheduler's real database (SQLite here, PostgreSQL in CI's second pass): concurrent workers
claim, renew, lose and report jobs at random, and no job is ever held by two live attempts, none is lost."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import upgrade_to_head
from simpletuner.services.scheduler import store
from simpletuner.services.scheduler.models import MIGRATIONS, Job

JOBS = 40
WORKERS = 6
ROUNDS = 150


@pytest.fixture
def database(tmp_path: Path, new_database: Callable[[], str | None]) -> Iterator[Database]:
    database = Database(new_database() or f"sqlite:///{tmp_path}/scheduler.db")
    upgrade_to_head(database, MIGRATIONS)
    with database.session() as db:
        now = datetime.now(UTC)
        for index in range(JOBS):
            db.add(
                Job(
                    id=f"job-{index:03d}", owner_id="u", owner_name="u", team_key="t", config_name="c",
                    model_family="sd1x", config_json="{}", configs_dir="", status=store.QUEUED, base_priority=10,
                    target="worker", worker_labels_json="{}", any_gpu=False, gpu_count=1, preferred_gpus="",
                    allocated_gpus="", placement="", attempt=0, message="", submitted_at=now, updated_at=now,
                )
            )  # fmt: skip
    yield database
    database.dispose()


def test_concurrent_lessees_never_hold_one_job_twice_and_lose_none(database: Database) -> None:
    winners: dict[tuple[str, int], str] = {}  # (job, attempt) -> the one worker whose lease created it
    finished: dict[str, tuple[str, int]] = {}
    violations: list[str] = []
    lock = threading.Lock()

    def lessee(worker: str, seed: int) -> None:
        rng = random.Random(seed)
        mine: dict[str, int] = {}  # job -> the attempt this worker believes it holds
        for _ in range(ROUNDS):
            roll = rng.random()
            if roll < 0.4:  # claim a queued job; some leases are born expired, to force re-queues
                with database.session() as db:
                    queued = [row.id for row in store.queued_rows(db)]
                if not queued:
                    continue
                job_id = rng.choice(queued)
                until = datetime.now(UTC) + timedelta(seconds=rng.choice((0.0, 30.0)))
                with database.session() as db:
                    won = store.lease(db, job_id, worker, until)
                    attempt = store.get_job(db, job_id).attempt if won else 0  # type: ignore[union-attr]
                if won:
                    with lock:
                        if (job_id, attempt) in winners:
                            violations.append(
                                f"{job_id} attempt {attempt} leased to {winners[job_id, attempt]} and {worker}"
                            )
                        winners[job_id, attempt] = worker
                    mine[job_id] = attempt
            elif roll < 0.6 and mine:  # renew (the lease may be gone by now)
                job_id, attempt = rng.choice(sorted(mine.items()))
                with database.session() as db:
                    renewed = store.renew_lease(db, job_id, worker, attempt, datetime.now(UTC) + timedelta(seconds=30))
                if renewed and winners.get((job_id, attempt)) != worker:
                    violations.append(f"{worker} renewed {job_id} attempt {attempt} it never won")
                if not renewed:
                    mine.pop(job_id)  # a real worker abandons the run here
            elif roll < 0.8:  # the housekeeper: expired leases go back to the queue
                with database.session() as db:
                    for job_id, attempt, _ in store.expired_leases(db, datetime.now(UTC)):
                        store.requeue_lost(db, job_id, attempt, "lost")
            elif mine:  # report an end (perhaps of a lease that expired meanwhile)
                job_id, attempt = rng.choice(sorted(mine.items()))
                mine.pop(job_id)
                with database.session() as db:
                    ended = store.end_leased(db, job_id, worker, attempt, store.COMPLETED, "done")
                if ended:
                    with lock:
                        if winners.get((job_id, attempt)) != worker:
                            violations.append(f"{worker} ended {job_id} attempt {attempt} it never won")
                        if job_id in finished:
                            violations.append(f"{job_id} finished twice: {finished[job_id]} and {worker}")
                        finished[job_id] = (worker, attempt)

    threads = [threading.Thread(target=lessee, args=(f"w{i}", i)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert violations == []
    with database.session() as db:
        jobs = {job.id: job for job in db.query(Job)}
    assert len(jobs) == JOBS  # none lost
    for job_id, job in jobs.items():
        assert job.status in (store.QUEUED, store.RUNNING, store.COMPLETED), job.status
        assert (job.status == store.COMPLETED) == (job_id in finished)
        if job.status != store.QUEUED:  # the live (or final) attempt is the one its winner holds
            assert winners[job_id, job.attempt] == job.placement.removeprefix("worker:")
        if job.status == store.COMPLETED:
            assert finished[job_id] == (job.placement.removeprefix("worker:"), job.attempt)
    assert finished and any(job.attempt > 1 for job in jobs.values())  # re-queues did happen


def test_a_lost_lease_is_requeued_as_a_new_attempt_and_the_stale_worker_is_fenced(database: Database) -> None:
    past, future = datetime.now(UTC) - timedelta(seconds=1), datetime.now(UTC) + timedelta(seconds=60)
    with database.session() as db:
        assert store.lease(db, "job-000", "old", past)
    with database.session() as db:
        assert store.expired_leases(db, datetime.now(UTC)) == [("job-000", 1, "worker:old")]
        assert store.requeue_lost(db, "job-000", 1, "re-queued: its worker lost the lease")
        assert store.get_job(db, "job-000").status == store.QUEUED  # type: ignore[union-attr]
    with database.session() as db:
        assert store.lease(db, "job-000", "new", future)
        assert not store.lease(db, "job-000", "third", future)  # taken
    with database.session() as db:
        assert not store.renew_lease(db, "job-000", "old", 1, future)  # the stale worker renews nothing
        assert not store.end_leased(db, "job-000", "old", 1, store.FAILED, "stale")  # nor ends it
        assert store.renew_lease(db, "job-000", "new", 2, future)
        assert store.end_leased(db, "job-000", "new", 2, store.COMPLETED, "done")
        job = store.get_job(db, "job-000")
    assert job is not None and (job.status, job.attempt, job.message) == (store.COMPLETED, 2, "done")
