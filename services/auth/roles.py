"""The role map: the system levels and the permissions each grants, and how a user's permissions combine."""

from __future__ import annotations

from dataclasses import dataclass

from simpletuner.libs import permissions


@dataclass(frozen=True)
class SystemLevel:
    name: str
    priority: int
    description: str
    permissions: frozenset[str]


_VIEWER = frozenset({"job.view.own", "config.view", "queue.view", "datasets.view"})
_RESEARCHER = _VIEWER | {
    "job.submit",
    "job.cancel.own",
    "job.delete.own",
    "config.create",
    "config.edit.own",
    "config.delete.own",
    "queue.cancel.own",
    "datasets.upload",
    "api.access",
    "api.keys.own",
}
_LEAD = _RESEARCHER | {
    "job.view.all",
    "job.priority.high",
    "queue.view.all",
    "queue.approve",
    "quota.view",
    "admin.approve",
    "admin.audit",
    "org.view",
    "team.view",
    "team.create",
    "team.edit",
    "team.manage.members",
    "team.manage.quotas",
}

SYSTEM_LEVELS: tuple[SystemLevel, ...] = (
    SystemLevel("viewer", 0, "Sees their own jobs, the queue and configs.", _VIEWER),
    SystemLevel("researcher", 10, "Trains: submits jobs, edits their own configs, uploads datasets.", _RESEARCHER),
    SystemLevel("lead", 50, "Runs a team: sees all jobs, approves, raises priority.", _LEAD),
    SystemLevel(
        "admin", 100, "Everything, including users, levels, workers and the audit log.", frozenset(permissions.ALL)
    ),
)
DEFAULT_LEVEL = "researcher"
ADMIN_LEVEL = "admin"


def effective_permissions(level_permissions: set[str], overrides: dict[str, bool]) -> frozenset[str]:
    """The union of the levels' permissions, then per-user grants added and revocations removed."""
    granted = {name for name, allow in overrides.items() if allow}
    revoked = {name for name, allow in overrides.items() if not allow}
    return frozenset((level_permissions | granted) - revoked)
