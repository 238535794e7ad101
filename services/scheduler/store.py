"""Every SQL statement of the scheduler service."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.db.types import utcnow

from .models import ApprovalRule, Job, QueueSetting, Worker

PENDING_APPROVAL, QUEUED, RUNNING = "pending_approval", "queued", "running"
COMPLETED, FAILED, CANCELLED, REJECTED, STOPPED = "completed", "failed", "cancelled", "rejected", "stopped"
WAITING = (PENDING_APPROVAL, QUEUED)
FINISHED = (COMPLETED, FAILED, CANCELLED, REJECTED, STOPPED)
QUEUE_LOCK_KEY = 0x51_7E_0B_5C  # one dispatcher at a time across scheduler replicas (PostgreSQL)


def lock_queue(db: DbSession) -> None:
    """Serialise dispatch passes of every replica for this transaction (SQLite has one writer anyway)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUEUE_LOCK_KEY})


def add_job(db: DbSession, job: Job) -> None:
    db.add(job)


def get_job(db: DbSession, job_id: str) -> Job | None:
    return db.get(Job, job_id)


def job_of_request(db: DbSession, owner_id: str, request_id: str) -> Job | None:
    return db.scalars(select(Job).where(Job.owner_id == owner_id, Job.request_id == request_id)).first()


WAITING_COLUMNS = (
    Job.id,
    Job.owner_id,
    Job.team_key,
    Job.base_priority,
    Job.priority_override,
    Job.submitted_at,
    Job.gpu_count,
    Job.preferred_gpus,
    Job.any_gpu,
    Job.target,
    Job.worker_labels_json,
)


def queued_rows(db: DbSession) -> list[Any]:
    """The queued jobs' scheduling columns only: a decision over 10 000 jobs reads no configs."""
    query = select(*WAITING_COLUMNS).where(Job.status == QUEUED).order_by(Job.submitted_at, Job.id)
    return list(db.execute(query))


def changed_since(db: DbSession, since: datetime) -> list[Any]:
    """Jobs changed at or after `since`, oldest change first, with their scheduling columns and state."""
    query = select(*WAITING_COLUMNS, Job.status, Job.updated_at).where(Job.updated_at >= since)
    return list(db.execute(query.order_by(Job.updated_at)))


def latest_change(db: DbSession) -> datetime:
    return db.scalar(select(func.max(Job.updated_at))) or utcnow()


def running_rows(db: DbSession) -> list[Any]:
    query = select(Job.id, Job.owner_id, Job.team_key, Job.allocated_gpus, Job.placement, Job.started_at)
    return list(db.execute(query.where(Job.status == RUNNING)))


def usage_rows(db: DbSession, since: datetime) -> list[Any]:
    """Jobs that held resources after `since`: (team_key, started_at, ended_at, gpu_count)."""
    query = select(Job.team_key, Job.started_at, Job.ended_at, Job.gpu_count).where(
        Job.started_at.is_not(None), or_(Job.ended_at.is_(None), Job.ended_at >= since)
    )
    return list(db.execute(query))


def claim(db: DbSession, job_id: str, gpus: Iterable[int], placement: str) -> bool:
    """queued -> running on these GPUs; False when another dispatcher or a cancel got there first."""
    now = utcnow()
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(
            status=RUNNING,
            allocated_gpus=",".join(str(gpu) for gpu in gpus),
            placement=placement,
            attempt=Job.attempt + 1,
            started_at=now,
            updated_at=now,
            message="",
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def move(db: DbSession, job_id: str, from_statuses: Iterable[str], to_status: str, message: str, **values: Any) -> bool:
    """Change a job's state only if it is still in one of `from_statuses` (a state machine, race-free)."""
    now = utcnow()
    changes: dict[str, Any] = {"status": to_status, "message": message, "updated_at": now, **values}
    if to_status in FINISHED:
        changes.setdefault("ended_at", now)
    result = db.execute(update(Job).where(Job.id == job_id, Job.status.in_(list(from_statuses))).values(**changes))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def update_job(db: DbSession, job_id: str, **values: Any) -> None:
    db.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))


def active_jobs_of(db: DbSession, owner_id: str) -> list[tuple[str, int]]:
    """(status, gpu_count) of the owner's waiting and running jobs."""
    query = select(Job.status, Job.gpu_count).where(Job.owner_id == owner_id, Job.status.in_([*WAITING, RUNNING]))
    return [(status, gpus) for status, gpus in db.execute(query)]


def submissions_since(db: DbSession, owner_id: str, since: datetime) -> int:
    query = select(func.count()).where(Job.owner_id == owner_id, Job.submitted_at >= since, Job.status != REJECTED)
    return int(db.scalar(query) or 0)


def runs_of_since(db: DbSession, owner_id: str, since: datetime) -> list[tuple[datetime, datetime | None, int]]:
    """(started_at, ended_at, gpu_count) of the owner's jobs that ran after `since`."""
    query = select(Job.started_at, Job.ended_at, Job.gpu_count).where(
        Job.owner_id == owner_id, Job.started_at.is_not(None), or_(Job.ended_at.is_(None), Job.ended_at >= since)
    )
    return [(started, ended, gpus) for started, ended, gpus in db.execute(query) if started is not None]


def has_jobs(db: DbSession, owner_id: str) -> bool:
    return db.scalar(select(Job.id).where(Job.owner_id == owner_id).limit(1)) is not None


def expired_approvals(db: DbSession, now: datetime) -> list[str]:
    query = select(Job.id).where(Job.status == PENDING_APPROVAL, Job.approval_expires_at < now)
    return list(db.scalars(query))


def approval_rules(db: DbSession) -> list[ApprovalRule]:
    return list(db.scalars(select(ApprovalRule).order_by(ApprovalRule.created_at)))


def add_approval_rule(db: DbSession, rule: ApprovalRule) -> None:
    db.add(rule)


def delete_approval_rule(db: DbSession, rule_id: str) -> bool:
    return bool(db.execute(delete(ApprovalRule).where(ApprovalRule.id == rule_id)).rowcount)  # type: ignore[attr-defined]


def list_jobs(
    db: DbSession, statuses: Iterable[str], owner_id: str | None, limit: int, offset: int
) -> tuple[list[Job], int]:
    """Jobs in these states, newest first, and how many there are in all."""
    query = select(Job).where(Job.status.in_(list(statuses)))
    if owner_id is not None:
        query = query.where(Job.owner_id == owner_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Job.submitted_at.desc(), Job.id).limit(limit).offset(offset))
    return list(rows), int(total)


def jobs_by_ids(db: DbSession, job_ids: list[str]) -> dict[str, Job]:
    return {job.id: job for job in db.scalars(select(Job).where(Job.id.in_(job_ids)))}


def count_by_status(db: DbSession) -> dict[str, int]:
    return {row[0]: row[1] for row in db.execute(select(Job.status, func.count()).group_by(Job.status)).tuples()}


def active_by_user(db: DbSession) -> dict[str, int]:
    query = select(Job.owner_name, func.count()).where(Job.status.in_([*WAITING, RUNNING])).group_by(Job.owner_name)
    return {row[0]: row[1] for row in db.execute(query).tuples()}


def waits_since(db: DbSession, since: datetime) -> list[tuple[datetime, datetime]]:
    query = select(Job.submitted_at, Job.started_at).where(Job.started_at.is_not(None), Job.started_at >= since)
    return [(submitted, started) for submitted, started in db.execute(query) if started is not None]


def delete_finished_before(db: DbSession, cutoff: datetime) -> int:
    result = db.execute(delete(Job).where(Job.status.in_(FINISHED), Job.ended_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


def get_setting(db: DbSession, key: str) -> Any:
    row = db.get(QueueSetting, key)
    return None if row is None else json.loads(row.value_json)


def put_setting(db: DbSession, key: str, value: Any) -> None:
    row = db.get(QueueSetting, key)
    if row is None:
        db.add(QueueSetting(key=key, value_json=json.dumps(value)))
    else:
        row.value_json = json.dumps(value)


# leases: a worker runs a job only while its attempt holds an unexpired lease


def lease(db: DbSession, job_id: str, worker_id: str, until: datetime) -> bool:
    """queued -> running on a worker, as a new attempt; False when someone else got there first."""
    now = utcnow()
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(
            status=RUNNING,
            placement=f"worker:{worker_id}",
            allocated_gpus="",
            attempt=Job.attempt + 1,
            lease_expires_at=until,
            started_at=now,
            updated_at=now,
            message="",
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_lease(db: DbSession, job_id: str, worker_id: str, attempt: int, until: datetime) -> bool:
    """Extend the lease of exactly this attempt on this worker (a stale one renews nothing)."""
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == RUNNING, Job.placement == f"worker:{worker_id}", Job.attempt == attempt)
        .values(lease_expires_at=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_leased(db: DbSession, job_id: str, worker_id: str, attempt: int, status: str, message: str) -> bool:
    """The holder of this attempt reports its end; a stale attempt's report changes nothing."""
    now = utcnow()
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == RUNNING, Job.placement == f"worker:{worker_id}", Job.attempt == attempt)
        .values(status=status, message=message, ended_at=now, updated_at=now, lease_expires_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def expired_leases(db: DbSession, now: datetime) -> list[tuple[str, int, str]]:
    """(job_id, attempt, placement) of running worker jobs whose lease ran out."""
    query = select(Job.id, Job.attempt, Job.placement).where(
        Job.status == RUNNING, Job.lease_expires_at.is_not(None), Job.lease_expires_at < now
    )
    return [(job_id, attempt, placement) for job_id, attempt, placement in db.execute(query)]


def requeue_lost(db: DbSession, job_id: str, attempt: int, message: str) -> bool:
    """A lost lease: the job queues again (the next lease is attempt + 1); not a failure."""
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == RUNNING, Job.attempt == attempt, Job.lease_expires_at.is_not(None))
        .values(status=QUEUED, placement="", lease_expires_at=None, message=message, updated_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_worker(db: DbSession, worker: Worker) -> None:
    db.add(worker)


def get_worker(db: DbSession, worker_id: str) -> Worker | None:
    return db.get(Worker, worker_id)


def worker_by_token(db: DbSession, token_hash: str) -> Worker | None:
    return db.scalars(select(Worker).where(Worker.token_hash == token_hash)).first()


def worker_named(db: DbSession, name: str) -> Worker | None:
    return db.scalars(select(Worker).where(Worker.name == name)).first()


def workers(db: DbSession, statuses: Iterable[str] = ()) -> list[Worker]:
    query = select(Worker).order_by(Worker.created_at)
    if wanted := list(statuses):
        query = query.where(Worker.status.in_(wanted))
    return list(db.scalars(query))


def update_worker(db: DbSession, worker_id: str, **values: Any) -> None:
    db.execute(update(Worker).where(Worker.id == worker_id).values(**values))


def delete_worker(db: DbSession, worker_id: str) -> None:
    db.execute(delete(Worker).where(Worker.id == worker_id))


def mark_silent_offline(db: DbSession, silent_since: datetime) -> None:
    """Idle workers not heard from since `silent_since` are offline (their next call brings them back)."""
    db.execute(
        update(Worker)
        .where(Worker.status == "idle", Worker.last_heartbeat < silent_since, Worker.current_job_id == "")
        .values(status="offline")
    )


def worker_counts(db: DbSession) -> dict[str, int]:
    return {row[0]: row[1] for row in db.execute(select(Worker.status, func.count()).group_by(Worker.status)).tuples()}
