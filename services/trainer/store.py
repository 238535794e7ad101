"""Every SQL statement of the trainer service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from .models import Run

ACTIVE = ("starting", "running")


def add_run(db: DbSession, run: Run) -> None:
    db.add(run)


def run_of_job(db: DbSession, job_id: str) -> Run | None:
    """The latest run of a job."""
    return db.scalars(select(Run).where(Run.job_id == job_id).order_by(Run.started_at.desc()).limit(1)).first()


def list_runs(db: DbSession, owner_id: str | None, statuses: Iterable[str] = (), limit: int = 50) -> list[Run]:
    """Newest first; owner_id None means everyone's."""
    query = select(Run).order_by(Run.started_at.desc()).limit(limit)
    if owner_id is not None:
        query = query.where(Run.owner_id == owner_id)
    if wanted := list(statuses):
        query = query.where(Run.status.in_(wanted))
    return list(db.scalars(query))


def active_runs(db: DbSession) -> list[Run]:
    return list(db.scalars(select(Run).where(Run.status.in_(ACTIVE))))


def update_run(db: DbSession, run_id: str, **values: Any) -> Run | None:
    run = db.get(Run, run_id)
    if run is not None:
        for name, value in values.items():
            setattr(run, name, value)
    return run
