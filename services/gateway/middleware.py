"""ASGI middleware: each HTTP request's id (from X-Request-ID or made) and client address, and security headers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simpletuner.libs import context

HEADER = context.REQUEST_ID_HEADER.encode()
# no sniffing, no framing by other sites (clickjacking), no URLs leaked to other origins
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class RequestIdMiddleware:
    """Sets the request-id and client-ip contextvars; echoes the id as X-Request-ID and adds the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")[:128]
        rid = given if given.isprintable() and given else context.new_request_id()
        token = context.request_id.set(rid)
        ip_token = context.client_ip.set(scope["client"][0] if scope.get("client") else "")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode()), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            context.client_ip.reset(ip_token)
            context.request_id.reset(token)
