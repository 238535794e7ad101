"""The concurrency limits: defaults, what the API changed (kept in the database), and their bounds."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.rpc.errors import InvalidArgument

from . import store
from .policy import Limits
from .settings import SchedulerSettings

SETTING_KEY = "concurrency"
# the bounds of each limit the API may set (None: no upper bound)
BOUNDS: dict[str, tuple[int, int | None]] = {
    "max_concurrent": (1, 100),
    "user_max_concurrent": (1, 20),
    "team_max_concurrent": (1, 50),
    "local_gpu_max_concurrent": (1, None),
    "local_job_max_concurrent": (1, 10),
}


def current(db: DbSession, settings: SchedulerSettings) -> Limits:
    saved: dict[str, Any] = store.get_setting(db, SETTING_KEY) or {}
    known = {name: value for name, value in saved.items() if name in Limits.__dataclass_fields__}
    return replace(
        Limits(aging_seconds=settings.aging_seconds, reserve_after_seconds=settings.reserve_after_seconds), **known
    )


def change(db: DbSession, settings: SchedulerSettings, changes: dict[str, Any]) -> Limits:
    """Apply the given limits (None for local_gpu_max_concurrent: unlimited), after checking every bound."""
    for name, value in changes.items():
        if name in BOUNDS and value is not None:
            low, high = BOUNDS[name]
            if value < low or (high is not None and value > high):
                span = f"{low}-{high}" if high is not None else f"at least {low}"
                raise InvalidArgument(f"{name} must be {span}, not {value}", field=name)
    limits = replace(current(db, settings), **changes)
    saved = {
        name: value for name, value in asdict(limits).items() if name not in ("aging_seconds", "reserve_after_seconds")
    }
    store.put_setting(db, SETTING_KEY, saved)
    return limits
