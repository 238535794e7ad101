"""Organisations, teams, their members, and quota ceilings that narrow down the hierarchy.

A ceiling is an upper bound on one quota (concurrent jobs, GPUs, submissions, spend). They nest: an
organisation's is at least each of its teams', a team's at least each of its members'. The binding
ceiling for a user is the lowest of their own, their teams' and their organisations'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session as DbSession

from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound

from . import store
from .audit import AuditLog
from .models import Organization, QuotaCeiling, Team, User

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
ORG_ROLES = ("member", "admin")
TEAM_ROLES = ("member", "lead")
ORG, TEAM, USER = "organization", "team", "user"


@dataclass(frozen=True)
class Membership:
    level_priority: int
    level_names: tuple[str, ...]
    team_ids: tuple[str, ...]
    org_ids: tuple[str, ...]


@dataclass(frozen=True)
class Ceiling:
    scope: str
    scope_id: str
    quota_type: str
    limit: float
    action: str = "block"


class Organizations:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self.db = database
        self.audit = audit

    # organisations

    def create_org(self, name: str, slug: str, description: str) -> Organization:
        _check_name_and_slug(name, slug)
        with self.db.session() as db:
            if store.org_slug_taken(db, slug):
                raise AlreadyExists(f"an organisation with slug {slug} already exists", field="slug")
            org = Organization(
                id=store.new_id(), name=name, slug=slug, description=description, is_active=True, created_at=utcnow()
            )
            db.add(org)
            db.flush()
            self.audit.record(db, "org.created", target_type="org", target_id=org.id, details={"slug": slug})
            return org

    def orgs(self, include_inactive: bool) -> list[Organization]:
        with self.db.session() as db:
            return store.organizations(db, include_inactive)

    def org(self, org_id: str) -> Organization:
        with self.db.session() as db:
            return _org(db, org_id)

    def update_org(
        self, org_id: str, name: str | None, description: str | None, is_active: bool | None
    ) -> Organization:
        with self.db.session() as db:
            org = _org(db, org_id)
            if name is not None:
                _check_name_and_slug(name, org.slug)
                org.name = name
            org.description = org.description if description is None else description
            org.is_active = org.is_active if is_active is None else is_active
            details = {"name": name, "description": description, "is_active": is_active}
            self.audit.record(db, "org.updated", target_type="org", target_id=org_id, details=_present(details))
            return org

    def delete_org(self, org_id: str) -> None:
        with self.db.session() as db:
            org = _org(db, org_id)
            store.delete_organization(db, org_id)
            self.audit.record(db, "org.deleted", target_type="org", target_id=org_id, details={"slug": org.slug})

    def org_members(self, org_id: str) -> list[tuple[str, str, str]]:
        with self.db.session() as db:
            _org(db, org_id)
            return [(m.user_id, username, m.role) for m, username in store.org_members(db, org_id)]

    def add_org_member(self, org_id: str, user_id: str, role: str) -> tuple[str, str, str]:
        role = role or "member"
        if role not in ORG_ROLES:
            raise InvalidArgument(f"an organisation role is one of {', '.join(ORG_ROLES)}", field="role")
        with self.db.session() as db:
            _org(db, org_id)
            user = _user(db, user_id)
            store.save_org_member(db, org_id, user_id, role)
            details = {"user_id": user_id, "role": role}
            self.audit.record(db, "org.member.added", target_type="org", target_id=org_id, details=details)
            return user_id, user.username, role

    def remove_org_member(self, org_id: str, user_id: str) -> None:
        with self.db.session() as db:
            _org(db, org_id)
            if not store.remove_org_member(db, org_id, user_id):
                raise NotFound(f"user {user_id} is not a member of this organisation")
            details = {"user_id": user_id}
            self.audit.record(db, "org.member.removed", target_type="org", target_id=org_id, details=details)

    # teams

    def create_team(self, org_id: str, name: str, slug: str, description: str) -> Team:
        _check_name_and_slug(name, slug)
        with self.db.session() as db:
            _org(db, org_id)
            if store.team_slug_taken(db, org_id, slug):
                raise AlreadyExists(f"this organisation already has a team with slug {slug}", field="slug")
            team = Team(
                id=store.new_id(), org_id=org_id, name=name, slug=slug, description=description, created_at=utcnow()
            )
            db.add(team)
            db.flush()
            details = {"org_id": org_id, "slug": slug}
            self.audit.record(db, "team.created", target_type="team", target_id=team.id, details=details)
            return team

    def teams(self, org_id: str) -> list[Team]:
        with self.db.session() as db:
            _org(db, org_id)
            return store.teams(db, org_id)

    def team(self, org_id: str, team_id: str) -> Team:
        with self.db.session() as db:
            return _team(db, org_id, team_id)

    def update_team(self, org_id: str, team_id: str, name: str | None, description: str | None) -> Team:
        with self.db.session() as db:
            team = _team(db, org_id, team_id)
            if name is not None:
                _check_name_and_slug(name, team.slug)
                team.name = name
            team.description = team.description if description is None else description
            details = _present({"name": name, "description": description})
            self.audit.record(db, "team.updated", target_type="team", target_id=team_id, details=details)
            return team

    def delete_team(self, org_id: str, team_id: str) -> None:
        with self.db.session() as db:
            team = _team(db, org_id, team_id)
            store.delete_team(db, team_id)
            details = {"org_id": org_id, "slug": team.slug}
            self.audit.record(db, "team.deleted", target_type="team", target_id=team_id, details=details)

    def team_members(self, org_id: str, team_id: str) -> list[tuple[str, str, str]]:
        with self.db.session() as db:
            _team(db, org_id, team_id)
            return [(m.user_id, username, m.role) for m, username in store.team_members(db, team_id)]

    def add_team_member(self, org_id: str, team_id: str, user_id: str, role: str) -> tuple[str, str, str]:
        role = role or "member"
        if role not in TEAM_ROLES:
            raise InvalidArgument(f"a team role is one of {', '.join(TEAM_ROLES)}", field="role")
        with self.db.session() as db:
            _team(db, org_id, team_id)
            user = _user(db, user_id)
            if org_id not in store.user_org_ids(db, user_id):
                store.save_org_member(db, org_id, user_id, "member")
            store.save_team_member(db, team_id, user_id, role)
            details = {"user_id": user_id, "role": role}
            self.audit.record(db, "team.member.added", target_type="team", target_id=team_id, details=details)
            return user_id, user.username, role

    def remove_team_member(self, org_id: str, team_id: str, user_id: str) -> None:
        with self.db.session() as db:
            _team(db, org_id, team_id)
            if not store.remove_team_member(db, team_id, user_id):
                raise NotFound(f"user {user_id} is not a member of this team")
            details = {"user_id": user_id}
            self.audit.record(db, "team.member.removed", target_type="team", target_id=team_id, details=details)

    # ceilings

    def set_org_ceiling(
        self, org_id: str, quota_type: str, limit: float | None, action: str = "block"
    ) -> list[Ceiling]:
        with self.db.session() as db:
            _org(db, org_id)
            if limit is not None:
                _check_limit(limit)
                for team in store.teams(db, org_id):
                    _at_least(db, limit, TEAM, [team.id], quota_type, f"team {team.slug}")
            return self._set(db, ORG, org_id, quota_type, limit, action)

    def set_team_ceiling(
        self, org_id: str, team_id: str, quota_type: str, limit: float | None, action: str = "block"
    ) -> list[Ceiling]:
        with self.db.session() as db:
            _team(db, org_id, team_id)
            if limit is not None:
                _check_limit(limit)
                _at_most(db, limit, ORG, [org_id], quota_type, "its organisation")
                _at_least(db, limit, USER, store.team_member_ids(db, team_id), quota_type, "a member")
            return self._set(db, TEAM, team_id, quota_type, limit, action)

    def set_user_ceiling(
        self, user_id: str, quota_type: str, limit: float | None, action: str = "block"
    ) -> list[Ceiling]:
        with self.db.session() as db:
            _user(db, user_id)
            if limit is not None:
                _check_limit(limit)
                _at_most(db, limit, TEAM, [team.id for team in store.user_teams(db, user_id)], quota_type, "a team")
                _at_most(db, limit, ORG, store.user_org_ids(db, user_id), quota_type, "an organisation")
            return self._set(db, USER, user_id, quota_type, limit, action)

    def ceilings(self, scope: str, scope_id: str) -> list[Ceiling]:
        with self.db.session() as db:
            return [_ceiling(row) for row in store.ceilings(db, scope, [scope_id])]

    def membership(self, user_id: str) -> Membership:
        """The user's highest level rank and names, teams and organisations (for the scheduler)."""
        with self.db.session() as db:
            _user(db, user_id)
            levels = store.levels_of(db, [user_id])[user_id]
            return Membership(
                level_priority=max((level.priority for level in levels), default=0),
                level_names=tuple(level.name for level in levels),
                team_ids=tuple(sorted(team.id for team in store.user_teams(db, user_id))),
                org_ids=tuple(sorted(store.user_org_ids(db, user_id))),
            )

    def effective_ceilings(self, user_id: str) -> list[Ceiling]:
        """For each limited quota, the lowest ceiling among the user's, their teams' and organisations'."""
        with self.db.session() as db:
            _user(db, user_id)
            rows = store.ceilings(db, USER, [user_id])
            rows += store.ceilings(db, TEAM, [team.id for team in store.user_teams(db, user_id)])
            rows += store.ceilings(db, ORG, store.user_org_ids(db, user_id))
        binding: dict[str, QuotaCeiling] = {}
        for row in rows:
            if row.quota_type not in binding or row.limit_value < binding[row.quota_type].limit_value:
                binding[row.quota_type] = row
        return [_ceiling(binding[name]) for name in sorted(binding)]

    def _set(
        self, db: DbSession, scope: str, scope_id: str, quota_type: str, limit: float | None, action: str
    ) -> list[Ceiling]:
        if not quota_type:
            raise InvalidArgument("quota_type is required", field="quota_type")
        store.set_ceiling(db, scope, scope_id, quota_type, limit, action)
        details = {"scope": scope, "quota_type": quota_type, "limit": limit, "action": action}
        self.audit.record(db, "quota.ceiling.changed", target_type=scope, target_id=scope_id, details=details)
        db.flush()
        return [_ceiling(row) for row in store.ceilings(db, scope, [scope_id])]


def _ceiling(row: QuotaCeiling) -> Ceiling:
    return Ceiling(row.scope, row.scope_id, row.quota_type, row.limit_value, row.action)


def _at_most(db: DbSession, limit: float, scope: str, ids: Iterable[str], quota_type: str, what: str) -> None:
    for row in store.ceilings(db, scope, ids):
        if row.quota_type == quota_type and limit > row.limit_value:
            raise FailedPrecondition(f"{limit:g} is above the {quota_type} ceiling of {what} ({row.limit_value:g})")


def _at_least(db: DbSession, limit: float, scope: str, ids: list[str], quota_type: str, what: str) -> None:
    for row in store.ceilings(db, scope, ids):
        if row.quota_type == quota_type and limit < row.limit_value:
            raise FailedPrecondition(
                f"{limit:g} is below the {quota_type} ceiling of {what} ({row.limit_value:g}); lower that first"
            )


def _check_limit(limit: float) -> None:
    if limit < 0:
        raise InvalidArgument("a ceiling is 0 or more", field="limit")


def _check_name_and_slug(name: str, slug: str) -> None:
    if not 1 <= len(name.strip()) <= 100:
        raise InvalidArgument("a name has 1 to 100 characters", field="name")
    if not SLUG.match(slug):
        raise InvalidArgument("a slug is 1 to 50 lower-case letters, digits or '-'", field="slug")


def _present(values: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}


def _org(db: DbSession, org_id: str) -> Organization:
    org = store.get_organization(db, org_id)
    if org is None:
        raise NotFound(f"no organisation with id {org_id}", org_id=org_id)
    return org


def _team(db: DbSession, org_id: str, team_id: str) -> Team:
    team = store.get_team(db, team_id)
    if team is None or team.org_id != org_id:
        raise NotFound(f"no team {team_id} in organisation {org_id}", team_id=team_id)
    return team


def _user(db: DbSession, user_id: str) -> User:
    user = store.get_user(db, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}", user_id=user_id)
    return user
