"""Hugging Face Hub login for publishing (/api/publishing): each user saves their own token, checked with the Hub
first; it is stored encrypted by the auth service and handed only to the trainer that uploads that user's runs."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_JOB_SUBMIT

from ..deps import ClientsDep
from ..security import Principal, requires

router = APIRouter(prefix="/api/publishing", tags=["publishing"])
Publisher = Annotated[Principal, Depends(requires(PERMISSION_JOB_SUBMIT))]
HUB_TIMEOUT_SECONDS = 15.0
TOKENS_PAGE = "https://huggingface.co/settings/tokens"


class TokenBody(BaseModel):
    token: str = Field(min_length=1, max_length=500, description="A Hugging Face access token (hf_…)")


class RepositoryBody(BaseModel):
    repo_id: str = Field(min_length=1, max_length=200, description="name or owner/name")


def _hub() -> Any:
    """An HfApi for HF_ENDPOINT as it is now (imported here: the gateway loads huggingface_hub only when used)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)


def _hub_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """One Hub request, with its failures turned into answers that say what to do."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

    try:
        return function(*args, **kwargs)
    except RepositoryNotFoundError:
        raise  # an answer, not a failure: the caller decides what it means
    except OfflineModeIsEnabled:
        raise HTTPException(503, "this server runs with HF_HUB_OFFLINE set: unset it to reach the Hub") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status == 401:
            message = f"the Hub refused this token; create a token with write access at {TOKENS_PAGE}"
            raise HTTPException(400, message) from None
        raise HTTPException(502, f"the Hub answered {status or 'with an error'}: {exc}") from None
    except OSError as exc:  # no route, DNS, refused: httpx's transport errors are OSErrors underneath
        raise HTTPException(502, f"cannot reach the Hub: {exc}") from None


async def _whoami(token: str) -> tuple[str, list[str], str]:
    """(user name, the namespaces it may create repositories in, the token's role) as the Hub says."""
    identity = await asyncio.wait_for(asyncio.to_thread(_hub_call, _hub().whoami, token), HUB_TIMEOUT_SECONDS)
    name = str(identity.get("name") or "")
    orgs = [str(org["name"]) for org in identity.get("orgs") or [] if org.get("name")]
    role = str(((identity.get("auth") or {}).get("accessToken") or {}).get("role") or "")
    return name, [name, *orgs], role


def _login_body(login: auth_pb2.HubLogin) -> dict[str, Any]:
    return {
        "saved": login.saved,
        "username": login.hub_username or None,
        "namespaces": list(login.namespaces),
        "saved_at": login.save_time.ToJsonString() if login.HasField("save_time") else None,
    }


@router.get("/token")
async def hub_login(principal: Publisher, clients: ClientsDep) -> dict[str, Any]:
    """Whether you have a Hub token saved, and for which Hub account (`{saved, username, namespaces, saved_at}`)."""
    reply = await clients.auth.GetHubLogin(auth_pb2.GetHubLoginRequest())
    return _login_body(reply.login)


@router.post("/token/validate")
async def validate_token(body: TokenBody, principal: Publisher) -> dict[str, Any]:
    """Ask the Hub whose token this is, without saving it: `{valid, username, namespaces, can_write}`."""
    name, namespaces, role = await _whoami(body.token.strip())
    return {"valid": True, "username": name, "namespaces": namespaces, "can_write": role != "read"}


@router.post("/token/save")
async def save_token(body: TokenBody, principal: Publisher, clients: ClientsDep) -> dict[str, Any]:
    """Check the token with the Hub, then save it as yours (replacing an earlier one). It is never shown again."""
    token = body.token.strip()
    name, namespaces, role = await _whoami(token)
    if role == "read":
        raise HTTPException(400, f"this token can only read; uploads need a token with write access ({TOKENS_PAGE})")
    request = auth_pb2.SaveHubLoginRequest(token=token, hub_username=name, namespaces=namespaces)
    reply = await clients.auth.SaveHubLogin(request)
    return {"success": True} | _login_body(reply.login)


@router.post("/token/logout")
async def forget_token(principal: Publisher, clients: ClientsDep) -> dict[str, Any]:
    """Forget your saved Hub token; runs with push_to_hub are refused until you save one again."""
    await clients.auth.DeleteHubLogin(auth_pb2.DeleteHubLoginRequest())
    return {"success": True}


@router.get("/namespaces")
async def namespaces(principal: Publisher, clients: ClientsDep) -> dict[str, Any]:
    """Where your saved token may create repositories: your Hub account, then its organisations."""
    reply = await clients.auth.GetHubLogin(auth_pb2.GetHubLoginRequest())
    return {"namespaces": list(reply.login.namespaces), "username": reply.login.hub_username or None}


@router.post("/repository/check")
async def check_repository(body: RepositoryBody, principal: Publisher, clients: ClientsDep) -> dict[str, Any]:
    """Whether a repository exists and whether your token may upload to it: `{repo_id, exists, private,
    can_write, message}`. A name without an owner is under your Hub account."""
    login = (await clients.auth.GetHubLogin(auth_pb2.GetHubLoginRequest())).login
    if not login.saved:
        raise HTTPException(400, "save a Hub token first (POST /api/publishing/token/save)")
    repo_id = body.repo_id.strip() if "/" in body.repo_id else f"{login.hub_username}/{body.repo_id.strip()}"
    owner = repo_id.split("/", 1)[0]
    token = (await clients.auth.ResolveHubToken(auth_pb2.ResolveHubTokenRequest(user_id=principal.user.id))).token
    info = await asyncio.wait_for(asyncio.to_thread(_repository, repo_id, token), HUB_TIMEOUT_SECONDS)
    can_write = owner in login.namespaces
    if info is None:
        message = "the first upload creates it" if can_write else f"your token cannot create it under {owner}"
        return {"repo_id": repo_id, "exists": False, "private": None, "can_write": can_write, "message": message}
    message = "uploads go here" if can_write else f"it belongs to {owner}, which your token cannot write to"
    return {"repo_id": repo_id, "exists": True, "private": info, "can_write": can_write, "message": message}


def _repository(repo_id: str, token: str) -> bool | None:
    """Whether the repository is private; None when it does not exist (or is someone else's private one)."""
    from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError

    try:
        return bool(_hub_call(_hub().model_info, repo_id, token=token).private)
    except RepositoryNotFoundError:
        return None
    except HFValidationError as exc:
        raise HTTPException(400, f"{repo_id} is not a valid repository name: {exc}") from None
