"""Every SQL statement of the auth service (the domain modules call these inside their transactions)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from .models import (
    ApiKey,
    Level,
    LevelPermission,
    LevelRule,
    LoginFailure,
    Organization,
    OrgMember,
    QuotaCeiling,
    ResourceRule,
    Session,
    Setting,
    SetupStep,
    Team,
    TeamMember,
    User,
    UserLevel,
    UserPermission,
)
from .roles import ADMIN_LEVEL, SystemLevel


def new_id() -> str:
    return str(uuid.uuid4())


# users


def count_users(db: DbSession) -> int:
    return int(db.scalar(select(func.count()).select_from(User)) or 0)


def admin_exists(db: DbSession) -> bool:
    query = (
        select(User.id)
        .join(UserLevel, UserLevel.user_id == User.id)
        .join(Level, Level.id == UserLevel.level_id)
        .where(Level.name == ADMIN_LEVEL, User.is_active.is_(True))
        .limit(1)
    )
    return db.scalar(query) is not None


def get_user(db: DbSession, user_id: str) -> User | None:
    return db.get(User, user_id)


def find_user_by_login(db: DbSession, login: str) -> User | None:
    """By username, or by e-mail address (case-insensitive)."""
    query = select(User).where(or_(User.username == login, func.lower(User.email) == login.lower()))
    return db.scalars(query).first()


def login_taken(db: DbSession, username: str, email: str, except_user: str | None = None) -> str:
    """'username' or 'email' when another user already has it, else ''."""
    for field, column, value in (("username", User.username, username), ("email", User.email, email)):
        query = select(User.id).where(func.lower(column) == value.lower())
        if except_user:
            query = query.where(User.id != except_user)
        if value and db.scalar(query):
            return field
    return ""


def add_user(db: DbSession, user: User, level_ids: Iterable[str]) -> None:
    db.add(user)
    db.flush()
    db.add_all(UserLevel(user_id=user.id, level_id=level_id) for level_id in level_ids)


def list_users(db: DbSession, include_inactive: bool) -> list[User]:
    query = select(User).order_by(User.username)
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    return list(db.scalars(query))


def replace_user_levels(db: DbSession, user_id: str, level_ids: Iterable[str]) -> None:
    db.execute(delete(UserLevel).where(UserLevel.user_id == user_id))
    db.add_all(UserLevel(user_id=user_id, level_id=level_id) for level_id in level_ids)


def delete_user(db: DbSession, user_id: str) -> None:
    for table in (Session, ApiKey, UserLevel, UserPermission, OrgMember, TeamMember):
        db.execute(delete(table).where(table.user_id == user_id))
    db.execute(delete(QuotaCeiling).where(QuotaCeiling.scope == "user", QuotaCeiling.scope_id == user_id))
    db.execute(delete(User).where(User.id == user_id))


# levels and permissions


def levels_of(db: DbSession, user_ids: list[str]) -> dict[str, list[Level]]:
    query = (
        select(UserLevel.user_id, Level)
        .join(Level, Level.id == UserLevel.level_id)
        .where(UserLevel.user_id.in_(user_ids))
    )
    result: dict[str, list[Level]] = {user_id: [] for user_id in user_ids}
    for user_id, level in db.execute(query):
        result[user_id].append(level)
    for levels in result.values():
        levels.sort(key=lambda level: -level.priority)
    return result


def level_permissions(db: DbSession, level_ids: Iterable[str]) -> dict[str, set[str]]:
    ids = list(level_ids)
    result: dict[str, set[str]] = {level_id: set() for level_id in ids}
    for row in db.scalars(select(LevelPermission).where(LevelPermission.level_id.in_(ids))):
        result[row.level_id].add(row.permission)
    return result


def permission_overrides(db: DbSession, user_id: str) -> dict[str, bool]:
    rows = db.scalars(select(UserPermission).where(UserPermission.user_id == user_id))
    return {row.permission: row.granted for row in rows}


def all_levels(db: DbSession) -> list[Level]:
    return list(db.scalars(select(Level).order_by(Level.priority.desc(), Level.name)))


def levels_by_name(db: DbSession, names: Iterable[str]) -> dict[str, Level]:
    return {level.name: level for level in db.scalars(select(Level).where(Level.name.in_(list(names))))}


def sync_system_levels(db: DbSession, system_levels: Iterable[SystemLevel]) -> None:
    """Create the system levels and bring their permissions to the role map (custom levels are untouched)."""
    existing = levels_by_name(db, [level.name for level in system_levels])
    for spec in system_levels:
        level = existing.get(spec.name)
        if level is None:
            level = Level(id=new_id(), name=spec.name, description="", priority=0, is_system=True)
            db.add(level)
            db.flush()
        level.priority, level.description, level.is_system = spec.priority, spec.description, True
        db.execute(delete(LevelPermission).where(LevelPermission.level_id == level.id))
        db.add_all(LevelPermission(level_id=level.id, permission=name) for name in sorted(spec.permissions))


def get_level(db: DbSession, level_id: str) -> Level | None:
    return db.get(Level, level_id)


def add_level(db: DbSession, level: Level, permissions: Iterable[str]) -> None:
    db.add(level)
    db.flush()
    set_level_permissions(db, level.id, permissions)


def set_level_permissions(db: DbSession, level_id: str, permissions: Iterable[str]) -> None:
    db.execute(delete(LevelPermission).where(LevelPermission.level_id == level_id))
    db.add_all(LevelPermission(level_id=level_id, permission=name) for name in sorted(set(permissions)))


def delete_level(db: DbSession, level_id: str) -> None:
    for table in (LevelPermission, UserLevel, LevelRule):
        db.execute(delete(table).where(table.level_id == level_id))
    db.execute(delete(Level).where(Level.id == level_id))


def add_user_levels(db: DbSession, user_id: str, level_ids: Iterable[str]) -> None:
    held = set(db.scalars(select(UserLevel.level_id).where(UserLevel.user_id == user_id)))
    db.add_all(UserLevel(user_id=user_id, level_id=level_id) for level_id in set(level_ids) - held)


def remove_user_levels(db: DbSession, user_id: str, level_ids: Iterable[str]) -> None:
    db.execute(delete(UserLevel).where(UserLevel.user_id == user_id, UserLevel.level_id.in_(list(level_ids))))


def set_permission_override(db: DbSession, user_id: str, permission: str, granted: bool | None) -> None:
    db.execute(delete(UserPermission).where(UserPermission.user_id == user_id, UserPermission.permission == permission))
    if granted is not None:
        db.add(UserPermission(user_id=user_id, permission=permission, granted=granted))


# resource rules


def resource_rules(db: DbSession, level_id: str | None = None) -> list[ResourceRule]:
    query = select(ResourceRule).order_by(ResourceRule.name)
    if level_id:
        query = query.join(LevelRule, LevelRule.rule_id == ResourceRule.id).where(LevelRule.level_id == level_id)
    return list(db.scalars(query))


def rule_levels(db: DbSession, rule_ids: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {rule_id: [] for rule_id in rule_ids}
    for link in db.scalars(select(LevelRule).where(LevelRule.rule_id.in_(rule_ids))):
        result[link.rule_id].append(link.level_id)
    return result


def get_resource_rule(db: DbSession, rule_id: str) -> ResourceRule | None:
    return db.get(ResourceRule, rule_id)


def rule_name_taken(db: DbSession, name: str, except_rule: str = "") -> bool:
    query = select(ResourceRule.id).where(ResourceRule.name == name, ResourceRule.id != except_rule)
    return db.scalar(query) is not None


def save_resource_rule(db: DbSession, rule: ResourceRule, level_ids: Iterable[str]) -> None:
    db.merge(rule)
    db.flush()
    db.execute(delete(LevelRule).where(LevelRule.rule_id == rule.id))
    db.add_all(LevelRule(level_id=level_id, rule_id=rule.id) for level_id in set(level_ids))


def delete_resource_rule(db: DbSession, rule_id: str) -> None:
    db.execute(delete(LevelRule).where(LevelRule.rule_id == rule_id))
    db.execute(delete(ResourceRule).where(ResourceRule.id == rule_id))


def rules_for_levels(db: DbSession, level_ids: list[str], resource_type: str) -> list[ResourceRule]:
    query = (
        select(ResourceRule)
        .join(LevelRule, LevelRule.rule_id == ResourceRule.id)
        .where(LevelRule.level_id.in_(level_ids), ResourceRule.resource_type == resource_type)
        .order_by(ResourceRule.name)
    )
    return list(db.scalars(query).unique())


# organisations, teams and quota ceilings


def organizations(db: DbSession, include_inactive: bool) -> list[Organization]:
    query = select(Organization).order_by(Organization.name)
    if not include_inactive:
        query = query.where(Organization.is_active.is_(True))
    return list(db.scalars(query))


def get_organization(db: DbSession, org_id: str) -> Organization | None:
    return db.get(Organization, org_id)


def org_slug_taken(db: DbSession, slug: str) -> bool:
    return db.scalar(select(Organization.id).where(Organization.slug == slug)) is not None


def delete_organization(db: DbSession, org_id: str) -> None:
    team_ids = [team.id for team in teams(db, org_id)]
    for team_id in team_ids:
        delete_team(db, team_id)
    db.execute(delete(OrgMember).where(OrgMember.org_id == org_id))
    db.execute(delete(QuotaCeiling).where(QuotaCeiling.scope == "organization", QuotaCeiling.scope_id == org_id))
    db.execute(delete(Organization).where(Organization.id == org_id))


def teams(db: DbSession, org_id: str) -> list[Team]:
    return list(db.scalars(select(Team).where(Team.org_id == org_id).order_by(Team.name)))


def get_team(db: DbSession, team_id: str) -> Team | None:
    return db.get(Team, team_id)


def team_slug_taken(db: DbSession, org_id: str, slug: str) -> bool:
    return db.scalar(select(Team.id).where(Team.org_id == org_id, Team.slug == slug)) is not None


def delete_team(db: DbSession, team_id: str) -> None:
    db.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
    db.execute(delete(QuotaCeiling).where(QuotaCeiling.scope == "team", QuotaCeiling.scope_id == team_id))
    db.execute(delete(Team).where(Team.id == team_id))


def org_members(db: DbSession, org_id: str) -> list[tuple[OrgMember, str]]:
    query = (
        select(OrgMember, User.username)
        .join(User, User.id == OrgMember.user_id)
        .where(OrgMember.org_id == org_id)
        .order_by(User.username)
    )
    return [(member, username) for member, username in db.execute(query)]


def team_members(db: DbSession, team_id: str) -> list[tuple[TeamMember, str]]:
    query = (
        select(TeamMember, User.username)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(User.username)
    )
    return [(member, username) for member, username in db.execute(query)]


def save_org_member(db: DbSession, org_id: str, user_id: str, role: str) -> None:
    db.merge(OrgMember(org_id=org_id, user_id=user_id, role=role))


def save_team_member(db: DbSession, team_id: str, user_id: str, role: str) -> None:
    db.merge(TeamMember(team_id=team_id, user_id=user_id, role=role))


def remove_org_member(db: DbSession, org_id: str, user_id: str) -> bool:
    team_ids = [team.id for team in teams(db, org_id)]
    db.execute(delete(TeamMember).where(TeamMember.team_id.in_(team_ids), TeamMember.user_id == user_id))
    result = db.execute(delete(OrgMember).where(OrgMember.org_id == org_id, OrgMember.user_id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def remove_team_member(db: DbSession, team_id: str, user_id: str) -> bool:
    result = db.execute(delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def user_teams(db: DbSession, user_id: str) -> list[Team]:
    query = select(Team).join(TeamMember, TeamMember.team_id == Team.id).where(TeamMember.user_id == user_id)
    return list(db.scalars(query))


def user_org_ids(db: DbSession, user_id: str) -> set[str]:
    direct = set(db.scalars(select(OrgMember.org_id).where(OrgMember.user_id == user_id)))
    return direct | {team.org_id for team in user_teams(db, user_id)}


def ceilings(db: DbSession, scope: str, scope_ids: Iterable[str]) -> list[QuotaCeiling]:
    query = select(QuotaCeiling).where(QuotaCeiling.scope == scope, QuotaCeiling.scope_id.in_(list(scope_ids)))
    return list(db.scalars(query.order_by(QuotaCeiling.scope_id, QuotaCeiling.quota_type)))


def set_ceiling(
    db: DbSession, scope: str, scope_id: str, quota_type: str, limit: float | None, action: str = "block"
) -> None:
    db.execute(
        delete(QuotaCeiling).where(
            QuotaCeiling.scope == scope, QuotaCeiling.scope_id == scope_id, QuotaCeiling.quota_type == quota_type
        )
    )
    if limit is not None:
        db.add(QuotaCeiling(scope=scope, scope_id=scope_id, quota_type=quota_type, limit_value=limit, action=action))


def team_member_ids(db: DbSession, team_id: str) -> list[str]:
    return list(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))


# sessions


def add_session(db: DbSession, session: Session) -> None:
    db.add(session)


def session_user(db: DbSession, token_hash: str, now: datetime) -> User | None:
    query = (
        select(User)
        .join(Session, Session.user_id == User.id)
        .where(Session.token_hash == token_hash, Session.expires_at > now, User.is_active.is_(True))
    )
    return db.scalars(query).first()


def delete_session(db: DbSession, token_hash: str) -> None:
    db.execute(delete(Session).where(Session.token_hash == token_hash))


def delete_sessions_of(db: DbSession, user_id: str) -> None:
    db.execute(delete(Session).where(Session.user_id == user_id))


def delete_expired_sessions(db: DbSession, now: datetime) -> None:
    db.execute(delete(Session).where(Session.expires_at <= now))


# API keys


def add_api_key(db: DbSession, key: ApiKey) -> None:
    db.add(key)


def api_keys(db: DbSession, user_id: str | None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at.desc())
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return list(db.scalars(query))


def get_api_key(db: DbSession, key_id: str) -> ApiKey | None:
    return db.get(ApiKey, key_id)


def api_key_by_hash(db: DbSession, key_hash: str) -> ApiKey | None:
    return db.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def touch_api_key(db: DbSession, key_id: str, now: datetime) -> None:
    db.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


# sign-in failures


def record_login_failure(db: DbSession, keys: Iterable[str], now: datetime) -> None:
    db.add_all(LoginFailure(key=key, failed_at=now) for key in keys)


def login_failures_since(db: DbSession, key: str, since: datetime) -> list[datetime]:
    query = select(LoginFailure.failed_at).where(LoginFailure.key == key, LoginFailure.failed_at > since)
    return sorted(db.scalars(query))


def forget_login_failures(db: DbSession, keys: Iterable[str]) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.key.in_(list(keys))))


def forget_login_failures_before(db: DbSession, before: datetime) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.failed_at <= before))


# one-time setup and settings


def claim_setup_step(db: DbSession, step: str, user_id: str, now: datetime) -> None:
    """Record a one-time step; a concurrent or repeated claim fails on the primary key."""
    db.add(SetupStep(step=step, user_id=user_id, created_at=now))
    db.flush()


def get_setting(db: DbSession, key: str, default: Any) -> Any:
    row = db.get(Setting, key)
    return default if row is None else row.value


def set_setting(db: DbSession, key: str, value: Any) -> None:
    db.merge(Setting(key=key, value=value))
