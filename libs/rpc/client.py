"""Client channels that carry the request id and the right caller token to other services.

Which token a call carries follows the callee's declared AccessRule: service-only RPCs get this
process's own service token, user RPCs the token of the user being served (the `caller_token`
contextvar), and RPCs open to both prefer the user's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.api.common.v1 import access_pb2
from simpletuner.libs import context
from simpletuner.libs.rpc.identity import AUTHORIZATION_HEADER

RENEW_AT_FRACTION = 0.5  # renew a service token once half its lifetime has passed


class TokenUnavailable(Exception):
    """This process cannot get its service token (no secret yet, or the auth service is unreachable)."""


class ServiceTokenSource:
    """This process's own service token, fetched from the auth service with the shared secret and renewed."""

    def __init__(self, service: str, auth_address: str, load_secret: Callable[[], str]) -> None:
        self._service = service
        self._auth_address = auth_address
        self._load_secret = load_secret
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if self._token and time.time() < self._renew_at:
            return self._token
        async with self._lock:
            if not self._token or time.time() >= self._renew_at:
                await self._renew()
        return self._token

    async def _renew(self) -> None:
        try:
            request = auth_pb2.IssueServiceTokenRequest(service=self._service, secret=self._load_secret())
            async with grpc.aio.insecure_channel(self._auth_address) as channel:
                reply = await auth_pb2_grpc.AuthServiceStub(channel).IssueServiceToken(request, timeout=5)
        except (RuntimeError, grpc.aio.AioRpcError) as exc:
            detail = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            raise TokenUnavailable(f"no service token from the auth service: {detail}") from exc
        now = time.time()
        self._token = reply.token
        self._renew_at = now + RENEW_AT_FRACTION * (reply.expire_time.ToSeconds() - now)


class ContextClientInterceptor:
    """Adds x-request-id, x-client-ip and the caller token the callee's access rule asks for.

    grpc.aio files an interceptor under the first call shape it implements only, so each shape gets its
    own subclass below and open_channel installs them all.
    """

    def __init__(self, tokens: ServiceTokenSource | None, rules: Mapping[str, access_pb2.AccessRule]) -> None:
        self._tokens = tokens
        self._rules = rules

    async def _with_context(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if context.REQUEST_ID_HEADER not in metadata:
            metadata.add(context.REQUEST_ID_HEADER, context.request_id.get() or context.new_request_id())
        if (ip := context.client_ip.get()) and context.CLIENT_IP_HEADER not in metadata:
            metadata.add(context.CLIENT_IP_HEADER, ip)
        if AUTHORIZATION_HEADER not in metadata and (token := await self._token_for(details.method)):
            metadata.add(AUTHORIZATION_HEADER, f"Bearer {token}")
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def _token_for(self, method: str | bytes) -> str:
        path = method.decode() if isinstance(method, bytes) else method
        rule = self._rules.get(path)
        if rule is None or rule.audience == access_pb2.AUDIENCE_SELF_AUTHENTICATING:
            return ""  # health checks, reflection, and the token exchange itself
        audience = rule.audience
        user_token = context.caller_token.get()
        if audience != access_pb2.AUDIENCE_SERVICE and user_token:
            return user_token
        if audience == access_pb2.AUDIENCE_USER or self._tokens is None:
            return user_token
        return await self._tokens.token()


class UnaryUnaryContext(ContextClientInterceptor, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(await self._with_context(client_call_details), request)


class UnaryStreamContext(ContextClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(await self._with_context(client_call_details), request)


class StreamUnaryContext(ContextClientInterceptor, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request_iterator: Any
    ) -> Any:
        return await continuation(await self._with_context(client_call_details), request_iterator)


CALL_SHAPES = (UnaryUnaryContext, UnaryStreamContext, StreamUnaryContext)  # no RPC streams both ways yet


def open_channel(
    address: str,
    tokens: ServiceTokenSource | None = None,
    rules: Mapping[str, access_pb2.AccessRule] | None = None,
) -> grpc.aio.Channel:
    """An insecure channel to a SimpleTuner service (traffic stays inside the deployment's network)."""
    interceptors: list[grpc.aio.ClientInterceptor] = [shape(tokens, rules or {}) for shape in CALL_SHAPES]
    return grpc.aio.insecure_channel(address, interceptors=interceptors)
