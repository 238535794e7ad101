"""User administration and the level/permission catalogue (/api/users)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_ADMIN_USERS
from simpletuner.libs import permissions

from ..deps import ClientsDep
from ..security import Principal, requires, signed_in
from .presenters import level_json, user_json

router = APIRouter(prefix="/api/users", tags=["users"])

SignedIn = Annotated[Principal, Depends(signed_in())]
Admin = Annotated[Principal, Depends(requires(PERMISSION_ADMIN_USERS))]


class NewUser(BaseModel):
    email: str = Field(max_length=320)
    username: str = Field(min_length=3, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field("", max_length=100)
    level_names: list[str] = ["researcher"]


class UserChanges(BaseModel):
    email: str | None = Field(None, max_length=320)
    display_name: str | None = Field(None, max_length=100)
    password: str | None = Field(None, min_length=8, max_length=256)
    is_active: bool | None = None
    level_names: list[str] | None = None


@router.get("/me")
async def my_profile(principal: SignedIn) -> dict[str, Any]:
    """The signed-in user."""
    return user_json(principal.user)


@router.get("/meta/levels")
async def list_levels(principal: SignedIn, clients: ClientsDep) -> list[dict[str, Any]]:
    """Every level with the permissions it grants, highest first."""
    reply = await clients.auth.ListLevels(auth_pb2.ListLevelsRequest())
    return [level_json(level) for level in reply.levels]


@router.get("/meta/permissions")
async def list_permissions(principal: SignedIn) -> list[dict[str, str]]:
    """The permission catalogue."""
    return [{"name": name, "category": name.split(".")[0]} for name in permissions.ALL]


@router.get("")
async def list_users(principal: Admin, clients: ClientsDep, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Every user (active ones unless include_inactive)."""
    reply = await clients.auth.ListUsers(auth_pb2.ListUsersRequest(include_inactive=include_inactive))
    return [user_json(user) for user in reply.users]


@router.post("", status_code=201)
async def create_user(body: NewUser, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """Create a user with a password and levels (default: researcher)."""
    reply = await clients.auth.CreateUser(auth_pb2.CreateUserRequest(**body.model_dump()))
    return user_json(reply.user)


@router.get("/{user_id}")
async def get_user(user_id: str, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """One user."""
    reply = await clients.auth.GetUser(auth_pb2.GetUserRequest(user_id=user_id))
    return user_json(reply.user)


@router.patch("/{user_id}")
async def update_user(user_id: str, body: UserChanges, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """Change a user's e-mail, display name, password, activity or levels (fields left out stay)."""
    changes = body.model_dump(exclude_none=True, exclude={"level_names"})
    request = auth_pb2.UpdateUserRequest(user_id=user_id, **changes)
    if body.level_names is not None:
        request.level_names.extend(body.level_names)
        request.replace_levels = True
    reply = await clients.auth.UpdateUser(request)
    return user_json(reply.user)


def _not_yourself(principal: Principal, user_id: str, action: str) -> None:
    """Locking yourself out ends the session doing it; another administrator has to (400)."""
    if user_id == principal.user.id:
        raise HTTPException(400, f"you cannot {action} your own account; another administrator has to")


@router.delete("/{user_id}")
async def delete_user(user_id: str, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """Delete a user with their sessions and API keys (not yourself)."""
    _not_yourself(principal, user_id, "delete")
    await clients.auth.DeleteUser(auth_pb2.DeleteUserRequest(user_id=user_id))
    return {"success": True}


@router.post("/{user_id}/deactivate")
async def deactivate_user(user_id: str, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """Stop a user from signing in; their sessions end and their keys stop working (not yourself)."""
    _not_yourself(principal, user_id, "deactivate")
    reply = await clients.auth.UpdateUser(auth_pb2.UpdateUserRequest(user_id=user_id, is_active=False))
    return user_json(reply.user)


@router.post("/{user_id}/activate")
async def activate_user(user_id: str, principal: Admin, clients: ClientsDep) -> dict[str, Any]:
    """Let a deactivated user sign in again."""
    reply = await clients.auth.UpdateUser(auth_pb2.UpdateUserRequest(user_id=user_id, is_active=True))
    return user_json(reply.user)
