"""The server interceptor chain: request id, logging, caller identity, and error mapping."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import grpc

from simpletuner.api.common.v1 import common_pb2
from simpletuner.libs import context
from simpletuner.libs.rpc.errors import ServiceError, to_rpc_status
from simpletuner.libs.rpc.identity import AUTHORIZATION_HEADER, InvalidToken, TokenVerifier

log = logging.getLogger("simpletuner.rpc")


def _metadata(ctx: grpc.aio.ServicerContext, key: str) -> str:
    for item_key, value in ctx.invocation_metadata() or ():
        if item_key == key:
            return value if isinstance(value, str) else value.decode()
    return ""


class ScopeInterceptor(grpc.aio.ServerInterceptor):
    """Runs `scope()` around every call whose request is unary (streamed requests pass through)."""

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
        return handler

    def _wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Awaitable[Any]]:
        async def unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
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


class RequestIdInterceptor(ScopeInterceptor):
    """Takes the caller's x-request-id (or makes one) so logs of every hop can be joined."""

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        token = context.request_id.set(_metadata(ctx, context.REQUEST_ID_HEADER) or context.new_request_id())
        try:
            yield
        finally:
            context.request_id.reset(token)


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
    """Verifies the caller token in the `authorization: Bearer <token>` metadata; no token = anonymous."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    @asynccontextmanager
    async def scope(self, method: str, ctx: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        header = _metadata(ctx, AUTHORIZATION_HEADER)
        who = context.ANONYMOUS
        if header:
            scheme, _, token = header.partition(" ")
            try:
                if scheme.lower() != "bearer" or not token:
                    raise InvalidToken("authorization metadata must be 'Bearer <token>'")
                who = self._verifier.verify(token)
            except InvalidToken as exc:
                await ctx.abort_with_status(
                    to_rpc_status(grpc.StatusCode.UNAUTHENTICATED, str(exc), common_pb2.ERROR_REASON_UNAUTHENTICATED)
                )
        token_var = context.caller.set(who)
        try:
            yield
        finally:
            context.caller.reset(token_var)


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


def default_chain(verifier: TokenVerifier) -> list[grpc.aio.ServerInterceptor]:
    """The chain every service runs, outermost first."""
    return [RequestIdInterceptor(), LoggingInterceptor(), IdentityInterceptor(verifier), ErrorInterceptor()]
