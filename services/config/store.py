"""Every SQL statement of the config service."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.db.types import utcnow

from .models import WorkspaceSetting


def get_setting(db: DbSession, key: str, default: Any = None) -> Any:
    row = db.get(WorkspaceSetting, key)
    return default if row is None else json.loads(row.value)


def set_setting(db: DbSession, key: str, value: Any) -> None:
    db.merge(WorkspaceSetting(key=key, value=json.dumps(value), updated_at=utcnow()))
