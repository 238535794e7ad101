"""Levels, per-user permission overrides, resource rules and registration (/api/users/...)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_ADMIN_LEVELS, PERMISSION_ADMIN_USERS
from simpletuner.libs.protoenums import names_enum, value_name, value_names

from ..deps import ClientsDep
from ..security import requires, signed_in
from .presenters import level_json, user_json

# Included before the users router, so /api/users/levels is not read as a user id.
router = APIRouter(prefix="/api/users", tags=["users"])

ADMIN_LEVELS = [Depends(requires(PERMISSION_ADMIN_LEVELS))]
ADMIN_USERS = [Depends(requires(PERMISSION_ADMIN_USERS))]
ResourceType = names_enum("ResourceType", auth_pb2.ResourceType, "RESOURCE_TYPE_")


def resource_type(name: str) -> str:
    """The proto enum value's name for a kind of resource: output_path -> RESOURCE_TYPE_OUTPUT_PATH."""
    return f"RESOURCE_TYPE_{name.upper()}"


def type_name(value: int) -> str:
    return value_name(auth_pb2.ResourceType, "RESOURCE_TYPE_", value)


class NewLevel(BaseModel):
    name: str = Field(min_length=2, max_length=50)
    description: str = ""
    priority: int = Field(0, ge=0, le=99)
    permissions: list[str] = []


class LevelChanges(BaseModel):
    name: str | None = Field(None, min_length=2, max_length=50)
    description: str | None = None
    priority: int | None = Field(None, ge=0, le=99)
    permissions: list[str] | None = None


class LevelPermissions(BaseModel):
    permissions: list[str]


class LevelName(BaseModel):
    level_name: str


class PermissionOverride(BaseModel):
    permission_name: str
    granted: bool


class Rule(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    resource_type: ResourceType  # type: ignore[valid-type]
    pattern: str = Field(min_length=1, max_length=500, description="fnmatch glob, e.g. team-a-*")
    action: Literal["allow", "deny"] = "allow"
    description: str = ""
    level_ids: list[str] = []


class AccessQuestion(BaseModel):
    resource_type: ResourceType  # type: ignore[valid-type]
    resource: str
    user_id: str = ""


class Registration(BaseModel):
    enabled: bool
    default_level: str = "researcher"


def rule_json(rule: auth_pb2.ResourceRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "resource_type": type_name(rule.resource_type),
        "pattern": rule.pattern,
        "action": "allow" if rule.allow else "deny",
        "description": rule.description,
        "level_ids": list(rule.level_ids),
    }


def rule_message(body: Rule, rule_id: str = "") -> auth_pb2.ResourceRule:
    return auth_pb2.ResourceRule(
        id=rule_id,
        name=body.name,
        resource_type=resource_type(str(body.resource_type)),
        pattern=body.pattern,
        allow=body.action == "allow",
        description=body.description,
        level_ids=body.level_ids,
    )


@router.get("/meta/resource-types", dependencies=[Depends(signed_in())])
async def list_resource_types() -> list[dict[str, str]]:
    """The kinds of resource a rule can govern (the names `resource_type` accepts)."""
    return [{"name": name} for name in value_names(auth_pb2.ResourceType, "RESOURCE_TYPE_")]


@router.post("/levels", status_code=201, dependencies=ADMIN_LEVELS)
async def create_level(body: NewLevel, clients: ClientsDep) -> dict[str, Any]:
    """Create a custom level with its permissions."""
    reply = await clients.auth.CreateLevel(auth_pb2.CreateLevelRequest(**body.model_dump()))
    return level_json(reply.level)


@router.put("/levels/{level_id}", dependencies=ADMIN_LEVELS)
async def update_level(level_id: str, body: LevelChanges, clients: ClientsDep) -> dict[str, Any]:
    """Change a custom level (system levels: only the description)."""
    changes = body.model_dump(exclude_none=True, exclude={"permissions"})
    request = auth_pb2.UpdateLevelRequest(level_id=level_id, **changes)
    if body.permissions is not None:
        request.permissions.extend(body.permissions)
        request.replace_permissions = True
    return level_json((await clients.auth.UpdateLevel(request)).level)


@router.put("/levels/{level_id}/permissions", dependencies=ADMIN_LEVELS)
async def set_level_permissions(level_id: str, body: LevelPermissions, clients: ClientsDep) -> dict[str, Any]:
    """Replace the permissions a custom level grants."""
    request = auth_pb2.UpdateLevelRequest(level_id=level_id, permissions=body.permissions, replace_permissions=True)
    return level_json((await clients.auth.UpdateLevel(request)).level)


@router.delete("/levels/{level_id}", dependencies=ADMIN_LEVELS)
async def delete_level(level_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Delete a custom level; its holders lose it."""
    await clients.auth.DeleteLevel(auth_pb2.DeleteLevelRequest(level_id=level_id))
    return {"success": True}


@router.get("/levels/{level_id}/rules", dependencies=ADMIN_LEVELS)
async def level_rules(level_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """The resource rules attached to a level."""
    reply = await clients.auth.ListResourceRules(auth_pb2.ListResourceRulesRequest(level_id=level_id))
    return [rule_json(rule) for rule in reply.rules]


@router.get("/resource-rules", dependencies=ADMIN_LEVELS)
async def list_rules(clients: ClientsDep) -> list[dict[str, Any]]:
    """Every resource rule with the levels it applies to."""
    reply = await clients.auth.ListResourceRules(auth_pb2.ListResourceRulesRequest())
    return [rule_json(rule) for rule in reply.rules]


@router.post("/resource-rules", status_code=201, dependencies=ADMIN_LEVELS)
async def create_rule(body: Rule, clients: ClientsDep) -> dict[str, Any]:
    """Create a rule: holders of its levels may (allow) or may not (deny) use matching resources."""
    reply = await clients.auth.CreateResourceRule(auth_pb2.CreateResourceRuleRequest(rule=rule_message(body)))
    return rule_json(reply.rule)


@router.put("/resource-rules/{rule_id}", dependencies=ADMIN_LEVELS)
async def update_rule(rule_id: str, body: Rule, clients: ClientsDep) -> dict[str, Any]:
    """Replace a rule."""
    request = auth_pb2.UpdateResourceRuleRequest(rule=rule_message(body, rule_id))
    return rule_json((await clients.auth.UpdateResourceRule(request)).rule)


@router.delete("/resource-rules/{rule_id}", dependencies=ADMIN_LEVELS)
async def delete_rule(rule_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Delete a rule."""
    await clients.auth.DeleteResourceRule(auth_pb2.DeleteResourceRuleRequest(rule_id=rule_id))
    return {"success": True}


@router.post("/resource-rules/check", dependencies=[Depends(signed_in())])
async def check_access(body: AccessQuestion, clients: ClientsDep) -> dict[str, Any]:
    """May you (or, for admins, `user_id`) use this resource? `{allowed, rule_id, reason}`."""
    request = auth_pb2.CheckResourceAccessRequest(
        user_id=body.user_id, resource_type=resource_type(str(body.resource_type)), resource=body.resource
    )
    reply = await clients.auth.CheckResourceAccess(request)
    return {"allowed": reply.allowed, "rule_id": reply.rule_id or None, "reason": reply.reason}


@router.get("/registration", dependencies=ADMIN_USERS)
async def get_registration(clients: ClientsDep) -> dict[str, Any]:
    """Whether public registration is on, and the level new accounts get."""
    settings = (await clients.auth.GetRegistrationSettings(auth_pb2.GetRegistrationSettingsRequest())).settings
    return {"enabled": settings.enabled, "default_level": settings.default_level}


@router.put("/registration", dependencies=ADMIN_USERS)
async def set_registration(body: Registration, clients: ClientsDep) -> dict[str, Any]:
    """Switch public registration on or off (off by default)."""
    wanted = auth_pb2.RegistrationSettings(enabled=body.enabled, default_level=body.default_level)
    reply = await clients.auth.UpdateRegistrationSettings(auth_pb2.UpdateRegistrationSettingsRequest(settings=wanted))
    return {"enabled": reply.settings.enabled, "default_level": reply.settings.default_level}


@router.post("/{user_id}/levels", dependencies=ADMIN_USERS)
async def add_user_level(user_id: str, body: LevelName, clients: ClientsDep) -> dict[str, Any]:
    """Give a user one more level."""
    request = auth_pb2.UpdateUserRequest(user_id=user_id, add_level_names=[body.level_name])
    return user_json((await clients.auth.UpdateUser(request)).user)


@router.delete("/{user_id}/levels/{level_name}", dependencies=ADMIN_USERS)
async def remove_user_level(user_id: str, level_name: str, clients: ClientsDep) -> dict[str, Any]:
    """Take a level away from a user."""
    request = auth_pb2.UpdateUserRequest(user_id=user_id, remove_level_names=[level_name])
    return user_json((await clients.auth.UpdateUser(request)).user)


@router.post("/{user_id}/permissions", dependencies=ADMIN_USERS)
async def set_user_permission(user_id: str, body: PermissionOverride, clients: ClientsDep) -> dict[str, Any]:
    """Grant (granted=true) or revoke (false) one permission for this user, whatever their levels say."""
    request = auth_pb2.SetUserPermissionRequest(user_id=user_id, permission=body.permission_name, granted=body.granted)
    return user_json((await clients.auth.SetUserPermission(request)).user)


@router.delete("/{user_id}/permissions/{permission_name}", dependencies=ADMIN_USERS)
async def clear_user_permission(user_id: str, permission_name: str, clients: ClientsDep) -> dict[str, Any]:
    """Remove a per-user override: the levels decide again."""
    request = auth_pb2.SetUserPermissionRequest(user_id=user_id, permission=permission_name)
    return user_json((await clients.auth.SetUserPermission(request)).user)
