"""Who is calling, and may they: every route declares exactly one Access (public, signed-in, or a permission).

Credentials: the `simpletuner_session` cookie, an `X-API-Key` header, or `Authorization: Bearer st_…`.
The auth service resolves them (Authenticate) to the user and a short-lived caller token, which the
gateway forwards to the other services. Cookie-authenticated state-changing requests must come from
our own origin (Sec-Fetch-Site / Origin), which stops cross-site request forgery without burdening
API-key clients or curl.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc
from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.libs import context, permissions
from simpletuner.libs.context import Caller

from .clients import ServiceClients

SESSION_COOKIE = "simpletuner_session"
WORKER_TOKEN_HEADER = "X-Worker-Token"
API_KEY_HEADER = "x-api-key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class Principal:
    """The signed-in caller of one request."""

    user: auth_pb2.User
    permissions: frozenset[str]
    caller_token: str
    credential_kind: str

    def holds(self, permission: str) -> bool:
        return permission in self.permissions


class Access:
    """A route's one access declaration; used as a FastAPI dependency that yields the Principal (or None)."""

    def __init__(self, kind: str, permission: int = 0) -> None:
        self.kind = kind  # "public", "user", "permission", "worker" or "page"
        self.permission = permissions.dotted(permission) if permission else ""

    def __repr__(self) -> str:
        return f"Access({self.permission or self.kind})"

    async def __call__(self, request: Request) -> Principal | None:
        if self.kind == "public":
            return None
        if self.kind == "page":  # the page itself redirects the signed-out and shows 403 to the unpermitted
            return await authenticate(request)
        if self.kind == "worker":  # the scheduler checks the token itself; users' credentials do not count
            if not request.headers.get(WORKER_TOKEN_HEADER):
                raise HTTPException(401, f"workers authenticate with an {WORKER_TOKEN_HEADER} header")
            return None
        principal = await authenticate(request)
        if principal is None:
            raise HTTPException(401, "authentication required: sign in, or send an X-API-Key header")
        if self.permission and not principal.holds(self.permission):
            _report_denial(request, principal, self.permission)
            raise HTTPException(403, f"this needs the permission {self.permission}")
        return principal


def _report_denial(request: Request, principal: Principal, permission: str) -> None:
    """Audit the refusal without making the caller wait for it."""
    event = auth_pb2.AuditEvent(
        event_type="security.permission_denied",
        actor_id=principal.user.id,
        actor_username=principal.user.username,
        actor_ip=client_ip(request),
        target_type="route",
        target_id=f"{request.method} {request.url.path}"[:100],
        details_json=json.dumps({"permission": permission, "credential": principal.credential_kind}),
    )
    clients: ServiceClients = request.app.state.clients
    clients.fire_and_forget(clients.auth.RecordAuditEvent(auth_pb2.RecordAuditEventRequest(event=event)))


def public() -> Access:
    """Open to anyone (setup, sign-in, health)."""
    return Access("public")


def worker_token() -> Access:
    """A remote worker, by its X-Worker-Token (checked by the scheduler)."""
    return Access("worker")


def web_page() -> Access:
    """A web UI page: yields the caller or None; the page sends signed-out visitors to sign in and checks its
    own permission, since a browser should see a sign-in screen or a 403 page, not a JSON error."""
    return Access("page")


def signed_in() -> Access:
    """Any signed-in user."""
    return Access("user")


def requires(permission: int) -> Access:
    """A signed-in user holding `permission` (a common.v1.Permission value)."""
    return Access("permission", permission)


async def authenticate(request: HTTPConnection) -> Principal | None:
    """Resolve the request's credential, if it has one; sets the caller contextvars for logs and RPCs.

    A WebSocket counts as a write: a cookie-authenticated one must come from our own origin."""
    if hasattr(request.state, "principal"):
        principal: Principal | None = request.state.principal
        return principal
    credential = _credential(request)
    if credential is None:
        request.state.principal = None
        return None
    kind, secret = credential
    if kind == "session_token" and request.scope.get("method", "WEBSOCKET") not in SAFE_METHODS:
        _check_same_origin(request)
    clients: ServiceClients = request.app.state.clients
    try:
        reply = await clients.auth.Authenticate(
            auth_pb2.AuthenticateRequest(client=client_info(request), **{kind: secret})
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            status = 401 if exc.code() == grpc.StatusCode.UNAUTHENTICATED else 403
            raise HTTPException(status, exc.details() or "not authenticated") from None
        raise
    principal = Principal(reply.user, frozenset(reply.permissions), reply.caller_token, reply.credential_kind)
    request.state.principal = principal
    context.caller_token.set(principal.caller_token)
    context.caller.set(Caller(subject=reply.user.id, username=reply.user.username, permissions=principal.permissions))
    return principal


def _credential(request: HTTPConnection) -> tuple[str, str] | None:
    if key := request.headers.get(API_KEY_HEADER):
        return "api_key", key.strip()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "api_key", token.strip()
    if cookie := request.cookies.get(SESSION_COOKIE):
        return "session_token", cookie
    return None


def _check_same_origin(request: HTTPConnection) -> None:
    """Refuse a cookie-authenticated write that a browser says came from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCHES:
        raise HTTPException(403, "cross-site request refused: use the web UI or an API key")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(403, "cross-origin request refused: use the web UI or an API key")


def client_ip(request: HTTPConnection) -> str:
    return request.client.host if request.client else ""


def client_info(request: HTTPConnection) -> auth_pb2.ClientInfo:
    """Where a request comes from, for rate limits and the audit log."""
    return auth_pb2.ClientInfo(ip=client_ip(request), user_agent=request.headers.get("user-agent", "")[:300])


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"
