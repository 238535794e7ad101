"""Client channels that carry the request id and caller token of the current request to other services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from simpletuner.libs import context


class ContextClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Adds the current x-request-id (or a fresh one) to every outgoing call."""

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(_with_context(client_call_details), request)

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(_with_context(client_call_details), request)


def _with_context(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if context.REQUEST_ID_HEADER not in metadata:
        metadata.add(context.REQUEST_ID_HEADER, context.request_id.get() or context.new_request_id())
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def open_channel(address: str) -> grpc.aio.Channel:
    """An insecure channel to a SimpleTuner service (traffic stays inside the deployment's network)."""
    return grpc.aio.insecure_channel(address, interceptors=[ContextClientInterceptor()])
