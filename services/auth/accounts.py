"""Users, the first administrator, sign-in sessions and what a user may do."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from simpletuner.libs import permissions
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

from . import store, throttle
from .audit import Actor, AuditLog
from .models import Level, Session, User
from .passwords import hash_password, verify_password
from .roles import ADMIN_LEVEL, DEFAULT_LEVEL, SYSTEM_LEVELS, effective_permissions

SESSION_TTL = timedelta(hours=24)
REMEMBERED_SESSION_TTL = timedelta(days=30)
USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,50}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIRST_ADMIN_STEP = "first_admin"
REGISTRATION_ENABLED = "registration_enabled"
REGISTRATION_LEVEL = "registration_default_level"
BAD_LOGIN = "invalid username or password"


def token_hash(secret: str) -> str:
    """Session tokens and API keys are stored only as their SHA-256 (they are long random strings)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class UserView:
    """A user with their levels and effective permissions."""

    user: User
    levels: list[Level]
    level_permissions: dict[str, set[str]]
    permissions: frozenset[str]
    overrides: dict[str, bool]

    @property
    def is_admin(self) -> bool:
        return any(level.name == ADMIN_LEVEL for level in self.levels)


@dataclass(frozen=True)
class Client:
    ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime


def user_view(db: DbSession, user: User) -> UserView:
    levels = store.levels_of(db, [user.id])[user.id]
    per_level = store.level_permissions(db, [level.id for level in levels])
    granted = set().union(*per_level.values()) if per_level else set()
    overrides = store.permission_overrides(db, user.id)
    effective = effective_permissions(granted, overrides) if user.is_active else frozenset()
    return UserView(user, levels, per_level, effective, overrides)


class Accounts:
    """The auth service's account operations (synchronous; the servicer runs them in threads)."""

    def __init__(self, database: Database, audit: AuditLog) -> None:
        self.db = database
        self.audit = audit

    def sync_levels(self) -> None:
        with self.db.session() as db:
            store.sync_system_levels(db, SYSTEM_LEVELS)

    def setup_status(self) -> tuple[bool, int, bool]:
        """(has_admin, user_count, registration_enabled)."""
        with self.db.session() as db:
            registration, _ = _registration(db)
            return store.admin_exists(db), store.count_users(db), registration

    def create_first_admin(
        self, email: str, username: str, password: str, display_name: str, client: Client
    ) -> tuple[UserView, NewSession]:
        try:
            with self.db.session() as db:
                if store.admin_exists(db):
                    raise AlreadyExists("setup is already complete: an administrator exists; sign in instead")
                user = self._new_user(db, email, username, password, display_name, [ADMIN_LEVEL])
                store.claim_setup_step(db, FIRST_ADMIN_STEP, user.id, utcnow())
                session = self._open_session(db, user, remember_me=True, client=client)
                actor = Actor(user.id, user.username, client.ip)
                details = {"levels": [ADMIN_LEVEL], "first_admin": True}
                self.audit.record(
                    db, "user.created", target_type="user", target_id=user.id, details=details, actor=actor
                )
                return user_view(db, user), session
        except IntegrityError:  # another first-admin request won the race
            raise AlreadyExists("setup is already complete: an administrator exists; sign in instead") from None

    def login(self, login: str, password: str, remember_me: bool, client: Client) -> tuple[UserView, NewSession]:
        now = utcnow()
        attempt = Actor("", login.strip()[:320], client.ip)
        try:
            with self.db.session() as db:
                throttle.check(db, login, client.ip, now)
                user = store.find_user_by_login(db, login.strip())
                password_ok = verify_password(user.password_hash if user else None, password)
                if user is not None and password_ok and user.is_active:
                    throttle.record_success(db, login, now)
                    user.last_login_at = now
                    actor = Actor(user.id, user.username, client.ip)
                    self.audit.record(db, "auth.login.success", target_type="user", target_id=user.id, actor=actor)
                    return user_view(db, user), self._open_session(db, user, remember_me, client)
        except RateLimited:
            self.audit.record_alone("security.rate_limited", target_type="login", actor=attempt)
            raise
        with self.db.session() as db:  # its own transaction: the failure is kept although the call fails
            throttle.record_failure(db, login, client.ip, now)
            self.audit.record(db, "auth.login.failed", target_type="login", actor=attempt)
        raise Unauthenticated(BAD_LOGIN)

    def logout(self, session_token: str) -> None:
        with self.db.session() as db:
            if user := store.session_user(db, token_hash(session_token), utcnow()):
                actor = Actor(user.id, user.username, Actor.from_context().ip)
                self.audit.record(db, "auth.logout", target_type="user", target_id=user.id, actor=actor)
            store.delete_session(db, token_hash(session_token))

    def session_user(self, session_token: str) -> UserView:
        with self.db.session() as db:
            user = store.session_user(db, token_hash(session_token), utcnow())
            if user is None:
                raise Unauthenticated("the session has expired or was ended; sign in again")
            return user_view(db, user)

    def change_password(self, user_id: str, current: str, new: str) -> None:
        with self.db.session() as db:
            user = store.get_user(db, user_id)
            if user is None or not verify_password(user.password_hash, current):
                raise InvalidArgument("the current password is wrong", field="current_password")
            user.password_hash = hash_password(new)
            store.delete_sessions_of(db, user_id)
            self.audit.record(db, "user.password.changed", target_type="user", target_id=user_id)

    def create_user(
        self, email: str, username: str, password: str, display_name: str, level_names: list[str]
    ) -> UserView:
        with self.db.session() as db:
            levels = level_names or [DEFAULT_LEVEL]
            user = self._new_user(db, email, username, password, display_name, levels)
            self.audit.record(db, "user.created", target_type="user", target_id=user.id, details={"levels": levels})
            return user_view(db, user)

    def list_users(self, include_inactive: bool) -> list[UserView]:
        with self.db.session() as db:
            return [user_view(db, user) for user in store.list_users(db, include_inactive)]

    def get_user(self, user_id: str) -> UserView:
        with self.db.session() as db:
            return user_view(db, self._existing(db, user_id))

    def update_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        display_name: str | None = None,
        password: str | None = None,
        is_active: bool | None = None,
        level_names: list[str] | None = None,
        add_levels: list[str] | None = None,
        remove_levels: list[str] | None = None,
    ) -> UserView:
        with self.db.session() as db:
            user = self._existing(db, user_id)
            if email is not None:
                _check_email(email)
                if store.login_taken(db, "", email, except_user=user_id):
                    raise AlreadyExists(f"another user has the e-mail address {email}", field="email")
                user.email = email
            if display_name is not None:
                user.display_name = display_name.strip()[:100] or user.username
            if password is not None:
                user.password_hash = hash_password(password)
                store.delete_sessions_of(db, user_id)
            if is_active is not None:
                user.is_active = is_active
                if not is_active:
                    store.delete_sessions_of(db, user_id)
            if level_names is not None:
                store.replace_user_levels(db, user_id, [level.id for level in _levels(db, level_names)])
            if add_levels:
                store.add_user_levels(db, user_id, [level.id for level in _levels(db, add_levels)])
            if remove_levels:
                store.remove_user_levels(db, user_id, [level.id for level in _levels(db, remove_levels)])
            db.flush()
            self._keep_an_admin(db)
            changes = {
                "email": email,
                "display_name": display_name,
                "password": "changed" if password is not None else None,
                "is_active": is_active,
                "levels": level_names,
                "added_levels": add_levels or None,
                "removed_levels": remove_levels or None,
            }
            details = {name: value for name, value in changes.items() if value is not None}
            self.audit.record(db, "user.updated", target_type="user", target_id=user_id, details=details)
            return user_view(db, user)

    def delete_user(self, user_id: str) -> None:
        with self.db.session() as db:
            user = self._existing(db, user_id)
            store.delete_user(db, user_id)
            db.flush()
            self._keep_an_admin(db)
            details = {"username": user.username}
            self.audit.record(db, "user.deleted", target_type="user", target_id=user_id, details=details)

    def set_user_permission(self, user_id: str, permission: str, granted: bool | None) -> UserView:
        """Grant (True) or revoke (False) one permission for one user; None removes the override."""
        if unknown := permissions.unknown([permission]):
            raise InvalidArgument(f"unknown permission {unknown[0]}", field="permission")
        with self.db.session() as db:
            user = self._existing(db, user_id)
            store.set_permission_override(db, user_id, permission, granted)
            details = {"permission": permission, "granted": granted}
            self.audit.record(db, "user.permission.changed", target_type="user", target_id=user_id, details=details)
            return user_view(db, user)

    def registration(self) -> tuple[bool, str]:
        """(enabled, default level) of public registration: off and researcher unless an admin changed them."""
        with self.db.session() as db:
            return _registration(db)

    def set_registration(self, enabled: bool, default_level: str) -> tuple[bool, str]:
        with self.db.session() as db:
            _levels(db, [default_level])
            store.set_setting(db, REGISTRATION_ENABLED, enabled)
            store.set_setting(db, REGISTRATION_LEVEL, default_level)
            details = {"enabled": enabled, "default_level": default_level}
            self.audit.record(db, "settings.registration.changed", target_type="settings", details=details)
            return enabled, default_level

    def register(
        self, email: str, username: str, password: str, display_name: str, client: Client
    ) -> tuple[UserView, NewSession]:
        with self.db.session() as db:
            enabled, level = _registration(db)
            if not enabled:
                raise PermissionDenied("public registration is off; ask an administrator for an account")
            user = self._new_user(db, email, username, password, display_name, [level])
            actor = Actor(user.id, user.username, client.ip)
            details = {"levels": [level], "registered": True}
            self.audit.record(db, "user.created", target_type="user", target_id=user.id, details=details, actor=actor)
            return user_view(db, user), self._open_session(db, user, remember_me=False, client=client)

    def list_levels(self) -> tuple[list[Level], dict[str, set[str]]]:
        with self.db.session() as db:
            levels = store.all_levels(db)
            return levels, store.level_permissions(db, [level.id for level in levels])

    # helpers

    def _new_user(
        self, db: DbSession, email: str, username: str, password: str, display_name: str, level_names: list[str]
    ) -> User:
        if not USERNAME.match(username):
            raise InvalidArgument("the username must be 3 to 50 letters, digits, '_' or '-'", field="username")
        _check_email(email)
        if taken := store.login_taken(db, username, email):
            raise AlreadyExists(f"a user with this {taken} already exists", field=taken)
        levels = _levels(db, level_names)
        user = User(
            id=store.new_id(),
            email=email.strip(),
            username=username,
            display_name=(display_name or username).strip()[:100],
            password_hash=hash_password(password),
            auth_provider="local",
            is_active=True,
            created_at=utcnow(),
        )
        store.add_user(db, user, [level.id for level in levels])
        return user

    def _open_session(self, db: DbSession, user: User, remember_me: bool, client: Client) -> NewSession:
        now = utcnow()
        token = secrets.token_urlsafe(32)
        expires = now + (REMEMBERED_SESSION_TTL if remember_me else SESSION_TTL)
        store.delete_expired_sessions(db, now)
        store.add_session(
            db,
            Session(
                id=store.new_id(),
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=expires,
                ip_address=client.ip[:64],
                user_agent=client.user_agent[:300],
            ),
        )
        return NewSession(token, expires)

    @staticmethod
    def _existing(db: DbSession, user_id: str) -> User:
        user = store.get_user(db, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}", user_id=user_id)
        return user

    @staticmethod
    def _keep_an_admin(db: DbSession) -> None:
        if store.count_users(db) and not store.admin_exists(db):
            raise FailedPrecondition("this would leave no active administrator; promote another user first")


def _registration(db: DbSession) -> tuple[bool, str]:
    return bool(store.get_setting(db, REGISTRATION_ENABLED, False)), str(
        store.get_setting(db, REGISTRATION_LEVEL, DEFAULT_LEVEL)
    )


def _check_email(email: str) -> None:
    if not EMAIL.match(email.strip()):
        raise InvalidArgument(f"{email!r} is not an e-mail address", field="email")


def _levels(db: DbSession, names: list[str]) -> list[Level]:
    found = store.levels_by_name(db, names)
    if missing := sorted(set(names) - set(found)):
        raise InvalidArgument(f"unknown level(s): {', '.join(missing)}; GET /api/users/meta/levels lists them")
    return [found[name] for name in names]
