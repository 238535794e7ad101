"""Tables owned by the auth service (every name starts with `auth_`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations
from simpletuner.libs.db.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of the auth service's tables."""


class User(Base):
    """A person who can sign in; `auth_provider` + `external_id` map an external identity (OIDC, LDAP) onto them."""

    __tablename__ = "auth_users"
    __table_args__ = (UniqueConstraint("auth_provider", "external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    auth_provider: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Level(Base):
    """A named set of permissions; system levels are created from the role map at start-up."""

    __tablename__ = "auth_levels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    is_system: Mapped[bool] = mapped_column(Boolean)


class LevelPermission(Base):
    """One permission a level grants (a dotted name from the catalogue)."""

    __tablename__ = "auth_level_permissions"

    level_id: Mapped[str] = mapped_column(ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)


class UserLevel(Base):
    """A level held by a user."""

    __tablename__ = "auth_user_levels"

    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True)
    level_id: Mapped[str] = mapped_column(ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True)


class UserPermission(Base):
    """A per-user override: grant a permission the levels lack, or revoke one they give."""

    __tablename__ = "auth_user_permissions"

    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)


class ResourceRule(Base):
    """A glob over one kind of resource that allows or denies it to holders of the rule's levels."""

    __tablename__ = "auth_resource_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    resource_type: Mapped[str] = mapped_column(String(20))
    pattern: Mapped[str] = mapped_column(String(500))
    allow: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text)


class LevelRule(Base):
    """A resource rule attached to a level."""

    __tablename__ = "auth_level_rules"

    level_id: Mapped[str] = mapped_column(ForeignKey("auth_levels.id", ondelete="CASCADE"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("auth_resource_rules.id", ondelete="CASCADE"), primary_key=True)


class Session(Base):
    """A signed-in browser or client; only the token's SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))


class ApiKey(Base):
    """An API key; only its SHA-256 is stored, with a short prefix to recognise it."""

    __tablename__ = "auth_api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    scoped_permissions: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """A failed sign-in, counted per account and per client address for rate limiting."""

    __tablename__ = "auth_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One audit log entry, chained to the previous one by an HMAC (edits and deletions are detectable)."""

    __tablename__ = "auth_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    actor_id: Mapped[str] = mapped_column(String(100), index=True)
    actor_username: Mapped[str] = mapped_column(String(320))
    actor_ip: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditChain(Base):
    """The chain's single bookkeeping row: its head (last entry) and its anchor (last pruned entry)."""

    __tablename__ = "auth_audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_id: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    anchor_id: Mapped[int] = mapped_column(Integer)
    anchor_hash: Mapped[str] = mapped_column(String(64))


class Organization(Base):
    """An organisation: the top of the org > team > user hierarchy of quota ceilings."""

    __tablename__ = "auth_orgs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrgMember(Base):
    """A user's membership of an organisation."""

    __tablename__ = "auth_org_members"

    org_id: Mapped[str] = mapped_column(ForeignKey("auth_orgs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))


class Team(Base):
    """A team inside an organisation."""

    __tablename__ = "auth_teams"
    __table_args__ = (UniqueConstraint("org_id", "slug"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("auth_orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamMember(Base):
    """A user's membership of a team."""

    __tablename__ = "auth_team_members"

    team_id: Mapped[str] = mapped_column(ForeignKey("auth_teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))


class QuotaCeiling(Base):
    """An upper bound on one quota for an organisation, team or user."""

    __tablename__ = "auth_quota_ceilings"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    quota_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    limit_value: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(20), default="block")  # block, warn or require_approval


class SetupStep(Base):
    """A one-time step already taken (its primary key makes concurrent attempts collide)."""

    __tablename__ = "auth_setup_steps"

    step: Mapped[str] = mapped_column(String(50), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Setting(Base):
    """A setting of the auth service (registration switch, default level), as JSON."""

    __tablename__ = "auth_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class HubLogin(Base):
    """A user's Hugging Face Hub token, encrypted with the workspace's hub-token key (never stored in the clear)."""

    __tablename__ = "auth_hub_logins"

    user_id: Mapped[str] = mapped_column(ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True)
    token_encrypted: Mapped[str] = mapped_column(Text)
    hub_username: Mapped[str] = mapped_column(String(100))
    namespaces: Mapped[list[Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


MIGRATIONS = Migrations(service="auth", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
