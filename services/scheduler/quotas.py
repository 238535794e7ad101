"""Quotas at submission: the ceilings that bind a user (from auth: the lowest of theirs, their teams' and
organisations'), what they have used, and what happens when a job would pass one (block, warn, or ask).

Spend is GPU time x the configured GPU-hour rate: the time jobs held GPUs today / this month (a running job up
to now), plus this job's estimate (its GPUs x estimated hours x rate). A CPU job counts as one GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as DbSession

from . import store

BLOCK, WARN, REQUIRE_APPROVAL = "block", "warn", "require_approval"
SEVERITY = {WARN: 1, REQUIRE_APPROVAL: 2, BLOCK: 3}


@dataclass(frozen=True)
class Ceiling:
    quota_type: str  # concurrent_jobs, gpus, jobs_per_hour, jobs_per_day, cost_daily, cost_monthly
    limit: float
    action: str
    scope: str  # organization, team or user: where the binding ceiling is set
    scope_id: str


@dataclass(frozen=True)
class Usage:
    """What one user holds and has used, in each quota's unit."""

    concurrent_jobs: float
    gpus: float
    jobs_per_hour: float
    jobs_per_day: float
    cost_daily: float
    cost_monthly: float

    def of(self, quota_type: str) -> float:
        return float(getattr(self, quota_type, 0.0))


@dataclass(frozen=True)
class Breach:
    ceiling: Ceiling
    used: float
    asked: float

    @property
    def message(self) -> str:
        where = f"{self.ceiling.scope} {self.ceiling.scope_id}" if self.ceiling.scope != "user" else "your own"
        return (
            f"{self.ceiling.quota_type} quota: {self.used:g} used + {self.asked:g} for this job would pass the "
            f"ceiling of {self.ceiling.limit:g} ({where}; action {self.ceiling.action})"
        )


def usage_of(db: DbSession, owner_id: str, now: datetime, gpu_hour_rate: float) -> Usage:
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    active = store.active_jobs_of(db, owner_id)
    gpus_held = sum(max(1, gpus) for status, gpus in active if status == store.RUNNING)
    return Usage(
        concurrent_jobs=len(active),
        gpus=gpus_held,
        jobs_per_hour=store.submissions_since(db, owner_id, now - timedelta(hours=1)),
        jobs_per_day=store.submissions_since(db, owner_id, now - timedelta(days=1)),
        cost_daily=_gpu_hours(db, owner_id, day_start, now) * gpu_hour_rate,
        cost_monthly=_gpu_hours(db, owner_id, month_start, now) * gpu_hour_rate,
    )


def _gpu_hours(db: DbSession, owner_id: str, since: datetime, now: datetime) -> float:
    seconds = 0.0
    for started, ended, gpus in store.runs_of_since(db, owner_id, since):
        seconds += max(0.0, ((ended or now) - max(started, since)).total_seconds()) * max(1, gpus)
    return seconds / 3600


def job_asks(gpu_count: int, estimated_hours: float, gpu_hour_rate: float) -> dict[str, float]:
    """What one more job adds to each quota."""
    cost = max(1, gpu_count) * estimated_hours * gpu_hour_rate
    return {
        "concurrent_jobs": 1,
        "gpus": max(1, gpu_count),
        "jobs_per_hour": 1,
        "jobs_per_day": 1,
        "cost_daily": cost,
        "cost_monthly": cost,
    }


def breaches(ceilings: list[Ceiling], usage: Usage, asks: dict[str, float]) -> list[Breach]:
    """The ceilings this job would pass, strictest action first."""
    found = [
        Breach(ceiling, usage.of(ceiling.quota_type), asks.get(ceiling.quota_type, 0.0))
        for ceiling in ceilings
        if usage.of(ceiling.quota_type) + asks.get(ceiling.quota_type, 0.0) > ceiling.limit
    ]
    return sorted(found, key=lambda breach: -SEVERITY.get(breach.ceiling.action, 3))
