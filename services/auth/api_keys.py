"""API keys: `st_` + 32 letters or digits, shown once, stored as SHA-256, scoped within the owner's permissions."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from simpletuner.libs import permissions
from simpletuner.libs.context import Caller
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated

from . import store
from .accounts import UserView, token_hash, user_view
from .audit import AuditLog
from .models import ApiKey

PREFIX = "st_"
KEY_LENGTH = 32
SHOWN_PREFIX_LENGTH = 11
MAX_EXPIRY_DAYS = 365
TOUCH_INTERVAL = timedelta(minutes=1)  # last-use time is kept to the minute: no write on every request
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class KeyAuthentication:
    """The owner of a key, and the permissions requests with this key may use."""

    owner: UserView
    permissions: frozenset[str]


class ApiKeys:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self.db = database
        self.audit = audit

    def create(self, caller: Caller, name: str, expires_days: int, scopes: list[str]) -> tuple[str, ApiKey]:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidArgument("the key name must have 1 to 100 characters", field="name")
        if not 0 <= expires_days <= MAX_EXPIRY_DAYS:
            raise InvalidArgument(f"expires_days must be 1 to {MAX_EXPIRY_DAYS} (or omitted)", field="expires_days")
        if unknown := permissions.unknown(scopes):
            raise InvalidArgument(f"unknown permission(s) in scoped_permissions: {', '.join(unknown)}")
        if beyond := sorted(set(scopes) - caller.permissions):
            raise PermissionDenied(f"a key cannot have permissions you lack: {', '.join(beyond)}")
        key = PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))
        now = utcnow()
        row = ApiKey(
            id=store.new_id(),
            user_id=caller.subject,
            name=name,
            key_hash=token_hash(key),
            key_prefix=key[:SHOWN_PREFIX_LENGTH],
            scoped_permissions=sorted(set(scopes)),
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        with self.db.session() as db:
            store.add_api_key(db, row)
            details = {"name": name, "scoped_permissions": row.scoped_permissions, "expires_days": expires_days}
            self.audit.record(db, "api_key.created", target_type="api_key", target_id=row.id, details=details)
        return key, row

    def list(self, caller: Caller, all_users: bool) -> list[ApiKey]:
        if all_users and not caller.holds("api.keys.all"):
            raise PermissionDenied("listing everyone's keys needs api.keys.all", permission="api.keys.all")
        with self.db.session() as db:
            return store.api_keys(db, None if all_users else caller.subject)

    def revoke(self, caller: Caller, key_id: str) -> None:
        with self.db.session() as db:
            key = store.get_api_key(db, key_id)
            # someone else's key is "not found" unless the caller may manage every key
            if key is None or (key.user_id != caller.subject and not caller.holds("api.keys.all")):
                raise NotFound(f"no API key with id {key_id}", key_id=key_id)
            key.revoked_at = key.revoked_at or utcnow()
            details = {"name": key.name, "owner": key.user_id}
            self.audit.record(db, "api_key.revoked", target_type="api_key", target_id=key_id, details=details)

    def authenticate(self, key: str) -> KeyAuthentication:
        if not key.startswith(PREFIX) or len(key) != len(PREFIX) + KEY_LENGTH:
            raise Unauthenticated("the API key is malformed; keys look like st_ followed by 32 letters or digits")
        now = utcnow()
        with self.db.session() as db:
            row = store.api_key_by_hash(db, token_hash(key))
            if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
                raise Unauthenticated("the API key is unknown, revoked or expired")
            owner_row = store.get_user(db, row.user_id)
            if owner_row is None or not owner_row.is_active:
                raise Unauthenticated("the API key's owner is deactivated")
            owner = user_view(db, owner_row)
            if "api.access" not in owner.permissions:
                raise PermissionDenied("your level does not allow API access (api.access)", permission="api.access")
            if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
                store.touch_api_key(db, row.id, now)
            scopes = set(row.scoped_permissions)
            allowed = owner.permissions & scopes if scopes else owner.permissions
            return KeyAuthentication(owner, frozenset(allowed))


def is_active(key: ApiKey) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > utcnow())
