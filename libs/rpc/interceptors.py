"""The server interceptor chain: request id, logging, caller identity and access rules, error mapping."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, NoReturn

import grpc

from simpletuner.api.common.v1 import access_pb2, common_pb2
from simpletuner.libs import context, permissions
from simpletuner.libs.context import Caller
from simpletuner.libs.rpc.access import admits
from simpletuner.libs.rpc.denials import Denial, DenialHandler
from simpletuner.libs.rpc.errors import ServiceError, to_rpc_status
from simpletuner.libs.rpc.identity import AUTHORIZATION_HEADER, InvalidToken, TokenVerifier

log = logging.getLogger("simpletuner.rpc")

# ErrorInfo metadata key marking a call refused by its access rule (not by the handler itself)
ACCESS_DENIED = "access_denied"


def _metadata(ctx: grpc.aio.ServicerContext, key: str) -> str:
    for item_key, value in ctx.invocation_metadata() or ():
        if item_key == key:
            return value if isinstance(value, str) else value.decode()
    return ""


class ScopeInterceptor(grpc.aio.ServerInterceptor):
    """Runs `scope()` around every call, whatever its shape: unary or streamed, request and reply.

    Identity and access checks are scopes, so a shape left unwrapped would be a door without a lock.
    """

    def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None:
            return handler
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(handler.stream_unary, method),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                self._wrap_stream(handler.stream_stream, method),
                handler.request_deserializer,
                handler.response_serializer,
            )
        raise AssertionError(f"{method}: a handler of no known shape")  # grpc has exactly these four

    def _wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Awaitable[Any]]:
        async def unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:  # request: a message or an iterator
            async with self.scope(method, ctx):
                return await behavior(request, ctx)

        return unary

    def _wrap_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., AsyncIterator[Any]]:
        async def stream(request: Any, ctx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with self.scope(method, ctx):
                result = behavior(request, ctx)
                if inspect.isasyncgen(result):
                    async for item in result:
                        yield item
                else:  # a behavior that writes with ctx.write() and returns nothing
                    await result

        return stream


class RequestContextInterceptor(ScopeInterceptor):
    """Takes the caller's x-request-id (or makes one) and x-client-ip, so every hop logs and audits alike."""

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        rid = context.request_id.set(_metadata(ctx, context.REQUEST_ID_HEADER) or context.new_request_id())
        ip = context.client_ip.set(_metadata(ctx, context.CLIENT_IP_HEADER)[:64])
        try:
            yield
        finally:
            context.client_ip.reset(ip)
            context.request_id.reset(rid)


class LoggingInterceptor(ScopeInterceptor):
    """Logs each call's method, outcome and duration."""

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        started = time.perf_counter()
        outcome = "OK"
        try:
            yield
        except grpc.aio.AbortError:
            code = ctx.code()
            outcome = code.name if isinstance(code, grpc.StatusCode) else str(code)
            raise
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info("rpc %s %s", method, outcome, extra={"rpc": method, "outcome": outcome, "ms": elapsed_ms})


class IdentityInterceptor(ScopeInterceptor):
    """Verifies the caller token (`authorization: Bearer <token>`) and enforces each RPC's declared access rule.

    Health checking and reflection stay open (probes and tooling); every other method must declare an
    AccessRule in its proto options, and a method without one refuses every call.
    """

    OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")

    def __init__(
        self,
        verifier: TokenVerifier,
        rules: Mapping[str, access_pb2.AccessRule],
        on_denied: DenialHandler | None = None,
    ) -> None:
        self._verifier = verifier
        self._rules = rules
        self._on_denied = on_denied

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        who = context.ANONYMOUS
        if not method.startswith(self.OPEN_PREFIXES):
            who = await self._admit(method, ctx)
        caller_var = context.caller.set(who)
        # a user's token travels on with calls this handler makes for them (a service's does not)
        user_token = "" if who.is_service or who.is_anonymous else _bearer_token(ctx)
        token_var = context.caller_token.set(user_token)
        try:
            yield
        finally:
            context.caller_token.reset(token_var)
            context.caller.reset(caller_var)

    async def _admit(self, method: str, ctx: grpc.aio.ServicerContext) -> Caller:
        anonymous = context.ANONYMOUS
        rule = self._rules.get(method)
        if rule is None or rule.audience == access_pb2.AUDIENCE_UNSPECIFIED:
            await self._refuse(ctx, method, anonymous, grpc.StatusCode.PERMISSION_DENIED, "declares no access rule")
        if rule.audience == access_pb2.AUDIENCE_SELF_AUTHENTICATING:
            return anonymous
        header = _metadata(ctx, AUTHORIZATION_HEADER)
        scheme, _, token = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not token:
            await self._refuse(ctx, method, anonymous, grpc.StatusCode.UNAUTHENTICATED, "needs a caller token (Bearer)")
        try:
            who = self._verifier.verify(token)
        except InvalidToken as exc:
            await self._refuse(ctx, method, anonymous, grpc.StatusCode.UNAUTHENTICATED, f"refused: {exc}")
        if not admits(rule, who):
            needed = f"needs {_needed(rule, who)}"
            await self._refuse(ctx, method, who, grpc.StatusCode.PERMISSION_DENIED, needed, **_detail(rule))
        return who

    async def _refuse(
        self, ctx: grpc.aio.ServicerContext, method: str, who: Caller, code: grpc.StatusCode, why: str, **detail: str
    ) -> NoReturn:
        message = f"{method} {why}"
        if self._on_denied is not None:
            ip = context.client_ip.get()
            self._on_denied(Denial(method, code, message, who.subject, who.username, ip))
        await _deny(ctx, code, message, **detail)


def _bearer_token(ctx: grpc.aio.ServicerContext) -> str:
    scheme, _, token = _metadata(ctx, AUTHORIZATION_HEADER).partition(" ")
    return token if scheme.lower() == "bearer" else ""


def _needed(rule: access_pb2.AccessRule, who: Caller) -> str:
    if rule.audience == access_pb2.AUDIENCE_SERVICE:
        return "a service token (it is not callable by users)"
    if who.is_service and rule.audience == access_pb2.AUDIENCE_USER:
        return "a user's token (it is not callable by services)"
    return f"the permission {permissions.dotted(rule.permission)}"


def _detail(rule: access_pb2.AccessRule) -> dict[str, str]:
    return {"permission": permissions.dotted(rule.permission)} if rule.permission else {}


async def _deny(ctx: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str, **metadata: str) -> NoReturn:
    reason = (
        common_pb2.ERROR_REASON_UNAUTHENTICATED
        if code == grpc.StatusCode.UNAUTHENTICATED
        else common_pb2.ERROR_REASON_PERMISSION_DENIED
    )
    await ctx.abort_with_status(to_rpc_status(code, message, reason, {ACCESS_DENIED: "true", **metadata}))
    raise AssertionError("abort_with_status returned")  # pragma: no cover - abort always raises


class ErrorInterceptor(ScopeInterceptor):
    """Maps domain errors to google.rpc.Status; anything unexpected becomes INTERNAL with the request id."""

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        try:
            yield
        except grpc.aio.AbortError:
            raise
        except ServiceError as exc:
            await ctx.abort_with_status(to_rpc_status(exc.code, exc.message, exc.reason, exc.metadata))
        except NotImplementedError:  # what generated base servicers raise for a method not written yet
            await ctx.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented by this server")
        except Exception:
            log.exception("unexpected failure in %s", method)
            rid = context.request_id.get()
            await ctx.abort_with_status(
                to_rpc_status(
                    grpc.StatusCode.INTERNAL,
                    f"internal error; quote request id {rid} when reporting it",
                    common_pb2.ERROR_REASON_INTERNAL,
                    {"request_id": rid},
                )
            )


def default_chain(
    verifier: TokenVerifier, rules: Mapping[str, access_pb2.AccessRule], on_denied: DenialHandler | None = None
) -> list[grpc.aio.ServerInterceptor]:
    """The chain every service runs, outermost first."""
    identity = IdentityInterceptor(verifier, rules, on_denied)
    return [RequestContextInterceptor(), LoggingInterceptor(), identity, ErrorInterceptor()]
