"""Resource rules: glob patterns that allow or deny configs, hardware, providers and output paths per level.

Deciding for a user: administrators may use everything; if none of the user's levels has a rule for that
kind of resource, it is allowed; otherwise a matching allow rule allows it (allow wins), and anything
else (a matching deny, or rules of which none match) denies it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from sqlalchemy.orm import Session as DbSession

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.libs.db.database import Database
from simpletuner.libs.protoenums import value_names
from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound

from . import store
from .accounts import UserView
from .audit import AuditLog
from .models import ResourceRule

RESOURCE_TYPES = value_names(auth_pb2.ResourceType, "RESOURCE_TYPE_")


@dataclass(frozen=True)
class RuleSpec:
    name: str
    resource_type: str
    pattern: str
    allow: bool
    description: str
    level_ids: list[str]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule_id: str
    reason: str


def decide(user: UserView, rules: list[ResourceRule], resource: str) -> Decision:
    """The pure decision, given the user's rules of one resource type."""
    if user.is_admin:
        return Decision(True, "", "administrators may use every resource")
    if not rules:
        return Decision(True, "", "no rule restricts this kind of resource for your levels")
    matching = [rule for rule in rules if fnmatch.fnmatchcase(resource, rule.pattern)]
    if allowed := [rule for rule in matching if rule.allow]:
        return Decision(True, allowed[0].id, f"allowed by rule {allowed[0].name}")
    if matching:
        return Decision(False, matching[0].id, f"denied by rule {matching[0].name}")
    return Decision(False, "", "no rule of your levels allows this resource")


class ResourceRules:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self.db = database
        self.audit = audit

    def rules(self, level_id: str = "") -> list[tuple[ResourceRule, list[str]]]:
        with self.db.session() as db:
            rules = store.resource_rules(db, level_id or None)
            levels = store.rule_levels(db, [rule.id for rule in rules])
            return [(rule, levels[rule.id]) for rule in rules]

    def save(self, spec: RuleSpec, rule_id: str = "") -> tuple[ResourceRule, list[str]]:
        """Create (no rule_id) or replace a rule."""
        _check(spec)
        with self.db.session() as db:
            if rule_id and store.get_resource_rule(db, rule_id) is None:
                raise NotFound(f"no resource rule with id {rule_id}", rule_id=rule_id)
            if store.rule_name_taken(db, spec.name, rule_id):
                raise AlreadyExists(f"a resource rule named {spec.name} already exists", field="name")
            _check_levels(db, spec.level_ids)
            rule = ResourceRule(
                id=rule_id or store.new_id(),
                name=spec.name,
                resource_type=spec.resource_type,
                pattern=spec.pattern,
                allow=spec.allow,
                description=spec.description,
            )
            store.save_resource_rule(db, rule, spec.level_ids)
            event = "resource_rule.updated" if rule_id else "resource_rule.created"
            details = {"name": spec.name, "pattern": spec.pattern, "allow": spec.allow, "levels": spec.level_ids}
            self.audit.record(db, event, target_type="resource_rule", target_id=rule.id, details=details)
            return rule, sorted(set(spec.level_ids))

    def delete(self, rule_id: str) -> None:
        with self.db.session() as db:
            rule = store.get_resource_rule(db, rule_id)
            if rule is None:
                raise NotFound(f"no resource rule with id {rule_id}", rule_id=rule_id)
            store.delete_resource_rule(db, rule_id)
            details = {"name": rule.name}
            self.audit.record(
                db, "resource_rule.deleted", target_type="resource_rule", target_id=rule_id, details=details
            )

    def check(self, user: UserView, resource_type: str, resource: str) -> Decision:
        if resource_type not in RESOURCE_TYPES:
            raise InvalidArgument(f"resource_type must be one of {', '.join(RESOURCE_TYPES)}", field="resource_type")
        with self.db.session() as db:
            rules = store.rules_for_levels(db, [level.id for level in user.levels], resource_type)
        return decide(user, rules, resource)


def _check(spec: RuleSpec) -> None:
    if not 1 <= len(spec.name) <= 100:
        raise InvalidArgument("a rule name has 1 to 100 characters", field="name")
    if spec.resource_type not in RESOURCE_TYPES:
        raise InvalidArgument(f"resource_type must be one of {', '.join(RESOURCE_TYPES)}", field="resource_type")
    if not 1 <= len(spec.pattern) <= 500:
        raise InvalidArgument("a pattern has 1 to 500 characters, e.g. team-a-*", field="pattern")


def _check_levels(db: DbSession, level_ids: list[str]) -> None:
    if missing := [level_id for level_id in level_ids if store.get_level(db, level_id) is None]:
        raise InvalidArgument(f"unknown level id(s): {', '.join(missing)}", field="level_ids")
