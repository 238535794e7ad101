"""JSON shapes of auth objects, as SimpleTuner's released API answers them."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from simpletuner.api.auth.v1 import auth_pb2


def iso(stamp: Timestamp, present: bool = True) -> str | None:
    return stamp.ToDatetime().isoformat() + "Z" if present else None


def user_json(user: auth_pb2.User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": None,
        "auth_provider": user.auth_provider,
        "is_active": user.is_active,
        "is_admin": user.is_admin,
        "email_verified": False,
        "created_at": iso(user.create_time, user.HasField("create_time")),
        "last_login_at": iso(user.last_login_time, user.HasField("last_login_time")),
        "levels": [{"id": level.id, "name": level.name, "priority": level.priority} for level in user.levels],
        "permissions": list(user.permissions),
        "permission_overrides": dict(user.permission_overrides),
    }


def level_json(level: auth_pb2.Level) -> dict[str, Any]:
    return {
        "id": level.id,
        "name": level.name,
        "description": level.description,
        "priority": level.priority,
        "is_system": level.is_system,
        "permissions": list(level.permissions),
    }


def api_key_json(key: auth_pb2.ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "key_prefix": key.key_prefix,
        "user_id": key.user_id,
        "created_at": iso(key.create_time, key.HasField("create_time")),
        "last_used_at": iso(key.last_use_time, key.HasField("last_use_time")),
        "expires_at": iso(key.expire_time, key.HasField("expire_time")),
        "is_active": key.is_active,
        "scoped_permissions": list(key.scoped_permissions),
    }
