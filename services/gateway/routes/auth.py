"""Sign-in and API keys: served at /api/auth (SimpleTuner's released API) and /api/cloud/auth (the seeds)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_API_KEYS_OWN

from ..deps import ClientsDep
from ..security import SESSION_COOKIE, Principal, authenticate, client_info, is_https, public, requires, signed_in
from .presenters import api_key_json, user_json

PREFIXES = ("/api/auth", "/api/cloud/auth")

router = APIRouter(tags=["auth"])

SignedIn = Annotated[Principal, Depends(signed_in())]
KeyOwner = Annotated[Principal, Depends(requires(PERMISSION_API_KEYS_OWN))]


class NewAccount(BaseModel):
    """The first administrator, or an account made by public registration."""

    email: str = Field(max_length=320)
    username: str = Field(min_length=3, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    display_name: str = Field("", max_length=100)


class Login(BaseModel):
    username: str = Field("", description="Username or e-mail address.", max_length=320)
    email: str = Field("", description="Alternative to username.", max_length=320)
    password: str = Field(max_length=256)
    remember_me: bool = False


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class NewApiKey(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_days: int | None = Field(None, ge=1, le=365)
    scoped_permissions: list[str] = []


def _set_session_cookie(request: Request, response: Response, session: auth_pb2.Session) -> None:
    max_age = max(int(session.expire_time.ToSeconds() - time.time()), 0)
    response.set_cookie(
        SESSION_COOKIE, session.token, max_age=max_age, httponly=True, samesite="lax", secure=is_https(request)
    )


@router.get("/setup/status", dependencies=[Depends(public())])
async def setup_status(clients: ClientsDep) -> dict[str, Any]:
    """Whether the first administrator still has to be created (`needs_setup`)."""
    reply = await clients.auth.GetSetupStatus(auth_pb2.GetSetupStatusRequest())
    return {
        "needs_setup": reply.needs_setup,
        "has_admin": reply.has_admin,
        "user_count": reply.user_count,
        "registration_enabled": reply.registration_enabled,
    }


@router.post("/setup/first-admin", dependencies=[Depends(public())])
async def create_first_admin(
    body: NewAccount, request: Request, response: Response, clients: ClientsDep
) -> dict[str, Any]:
    """Create the first administrator and sign them in; 409 once an administrator exists."""
    reply = await clients.auth.CreateFirstAdmin(
        auth_pb2.CreateFirstAdminRequest(client=client_info(request), **body.model_dump())
    )
    _set_session_cookie(request, response, reply.session)
    return {"success": True, "user": user_json(reply.user), "message": "Administrator created; you are signed in."}


@router.post("/register", dependencies=[Depends(public())])
async def register(body: NewAccount, request: Request, response: Response, clients: ClientsDep) -> dict[str, Any]:
    """Create your own account when an administrator has switched public registration on (403 otherwise)."""
    reply = await clients.auth.Register(auth_pb2.RegisterRequest(client=client_info(request), **body.model_dump()))
    _set_session_cookie(request, response, reply.session)
    return {"success": True, "user": user_json(reply.user)}


@router.post("/login", dependencies=[Depends(public())])
async def login(body: Login, request: Request, response: Response, clients: ClientsDep) -> dict[str, Any]:
    """Sign in with username (or e-mail) and password; sets the session cookie (24 h, 30 days with remember_me)."""
    reply = await clients.auth.Login(
        auth_pb2.LoginRequest(
            login=body.username or body.email,
            password=body.password,
            remember_me=body.remember_me,
            client=client_info(request),
        )
    )
    _set_session_cookie(request, response, reply.session)
    return {"success": True, "user": user_json(reply.user)}


@router.post("/logout", dependencies=[Depends(public())])
async def logout(request: Request, response: Response, clients: ClientsDep) -> dict[str, Any]:
    """End the session of the cookie sent (if any) and clear the cookie."""
    if token := request.cookies.get(SESSION_COOKIE):
        await clients.auth.Logout(auth_pb2.LogoutRequest(session_token=token))
    response.delete_cookie(SESSION_COOKIE)
    return {"success": True}


@router.get("/me")
async def me(principal: SignedIn) -> dict[str, Any]:
    """The signed-in user."""
    return user_json(principal.user)


@router.get("/check", dependencies=[Depends(public())])
async def check(request: Request) -> dict[str, Any]:
    """Whether the request is signed in, without failing when it is not."""
    principal = await _optional_principal(request)
    if principal is None:
        return {"authenticated": False, "user_id": None, "username": None, "is_admin": False}
    user = principal.user
    return {"authenticated": True, "user_id": user.id, "username": user.username, "is_admin": user.is_admin}


async def _optional_principal(request: Request) -> Principal | None:
    try:
        return await authenticate(request)
    except HTTPException:
        return None


@router.post("/change-password")
async def change_password(body: PasswordChange, principal: SignedIn, clients: ClientsDep) -> dict[str, Any]:
    """Change your password; your sessions end and you sign in again."""
    await clients.auth.ChangePassword(auth_pb2.ChangePasswordRequest(**body.model_dump()))
    return {"success": True}


@router.get("/api-keys")
async def list_api_keys(principal: KeyOwner, clients: ClientsDep, all_users: bool = False) -> list[dict[str, Any]]:
    """Your API keys (never the keys themselves); everyone's with `all_users=true` (needs api.keys.all)."""
    reply = await clients.auth.ListApiKeys(auth_pb2.ListApiKeysRequest(all_users=all_users))
    return [api_key_json(key) for key in reply.keys]


@router.post("/api-keys")
async def create_api_key(body: NewApiKey, principal: KeyOwner, clients: ClientsDep) -> dict[str, Any]:
    """Create an API key; `key` is shown this once. Scopes may only narrow your own permissions."""
    reply = await clients.auth.CreateApiKey(
        auth_pb2.CreateApiKeyRequest(
            name=body.name, expires_days=body.expires_days or 0, scoped_permissions=body.scoped_permissions
        )
    )
    return {"key": reply.key, "key_info": api_key_json(reply.key_info)}


@router.delete("/api-keys/{key_id}")
async def revoke_api_key(key_id: str, principal: KeyOwner, clients: ClientsDep) -> dict[str, Any]:
    """Revoke one of your API keys; it stops working at once."""
    await clients.auth.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(key_id=key_id))
    return {"success": True}
