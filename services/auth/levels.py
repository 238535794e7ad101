"""Custom levels: create, change and delete them (the system levels follow the role map and stay fixed)."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session as DbSession

from simpletuner.libs import permissions
from simpletuner.libs.db.database import Database
from simpletuner.libs.rpc.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound

from . import store
from .audit import AuditLog
from .models import Level

LEVEL_NAME = re.compile(r"^[a-z0-9_-]{2,50}$")
MAX_CUSTOM_PRIORITY = 99


class Levels:
    """Custom levels, with every change audited."""

    def __init__(self, database: Database, audit: AuditLog) -> None:
        self.db = database
        self.audit = audit

    def create(self, name: str, description: str, priority: int, granted: list[str]) -> tuple[Level, set[str]]:
        _check_level(name, priority, granted)
        with self.db.session() as db:
            if store.levels_by_name(db, [name]):
                raise AlreadyExists(f"a level named {name} already exists", field="name")
            level = Level(id=store.new_id(), name=name, description=description, priority=priority, is_system=False)
            store.add_level(db, level, granted)
            self.audit.record(db, "level.created", target_type="level", target_id=level.id, details={"name": name})
            return level, set(granted)

    def update(
        self,
        level_id: str,
        *,
        name: str | None,
        description: str | None,
        priority: int | None,
        granted: list[str] | None,
    ) -> tuple[Level, set[str]]:
        with self.db.session() as db:
            level = self._existing(db, level_id)
            if level.is_system and (name is not None or priority is not None or granted is not None):
                raise FailedPrecondition(f"{level.name} is a system level: only its description can change")
            _check_level(name or level.name, level.priority if priority is None else priority, granted or [])
            if name is not None and name != level.name and store.levels_by_name(db, [name]):
                raise AlreadyExists(f"a level named {name} already exists", field="name")
            level.name = level.name if name is None else name
            level.description = level.description if description is None else description
            level.priority = level.priority if priority is None else priority
            if granted is not None:
                store.set_level_permissions(db, level.id, granted)
            details = {"name": level.name, "permissions": granted}
            self.audit.record(db, "level.updated", target_type="level", target_id=level.id, details=details)
            return level, store.level_permissions(db, [level.id])[level.id]

    def delete(self, level_id: str) -> None:
        with self.db.session() as db:
            level = self._existing(db, level_id)
            if level.is_system:
                raise FailedPrecondition(f"{level.name} is a system level and cannot be deleted")
            store.delete_level(db, level_id)
            details = {"name": level.name}
            self.audit.record(db, "level.deleted", target_type="level", target_id=level_id, details=details)

    @staticmethod
    def _existing(db: DbSession, level_id: str) -> Level:
        level = store.get_level(db, level_id)
        if level is None:
            raise NotFound(f"no level with id {level_id}", level_id=level_id)
        return level


def _check_level(name: str, priority: int, granted: list[str]) -> None:
    if not LEVEL_NAME.match(name):
        raise InvalidArgument("a level name is 2 to 50 lower-case letters, digits, '_' or '-'", field="name")
    if not 0 <= priority <= MAX_CUSTOM_PRIORITY:
        raise InvalidArgument(f"a custom level's priority is 0 to {MAX_CUSTOM_PRIORITY}", field="priority")
    if unknown := permissions.unknown(granted):
        raise InvalidArgument(f"unknown permission(s): {', '.join(unknown)}", field="permissions")
