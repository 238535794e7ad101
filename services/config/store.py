"""Every SQL statement of the config service."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.db.types import utcnow

from .models import WorkspaceSetting


def get_setting(db: DbSession, key: str, default: Any = None) -> Any:
    row = db.get(WorkspaceSetting, key)
    return default if row is None else json.loads(row.value)


def set_setting(db: DbSession, key: str, value: Any) -> None:
    db.merge(WorkspaceSetting(key=key, value=json.dumps(value), updated_at=utcnow()))


def replace_setting_values(db: DbSession, key_prefix: str, old: Any, new: Any) -> int:
    """Every setting under `key_prefix` that holds `old` now holds `new` (say, each user's active environment
    after a rename); returns how many changed."""
    statement = (
        update(WorkspaceSetting)
        .where(WorkspaceSetting.key.startswith(key_prefix, autoescape=True), WorkspaceSetting.value == json.dumps(old))
        .values(value=json.dumps(new), updated_at=utcnow())
    )
    return int(db.execute(statement).rowcount)  # type: ignore[attr-defined]
