"""The one mapping from gRPC status codes to HTTP responses."""

from __future__ import annotations

import grpc
from fastapi import Request
from fastapi.responses import JSONResponse

from simpletuner.libs import context
from simpletuner.libs.rpc.errors import error_info_of

# Google's canonical HTTP equivalents of gRPC codes (google/rpc/code.proto).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}


def http_status_of(code: grpc.StatusCode) -> int:
    return HTTP_STATUS.get(code, 500)


def rpc_error_body(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """`{detail, reason, request_id}`: the service's message and its machine-readable reason."""
    info = error_info_of(error)
    body = {"detail": error.details() or error.code().name, "reason": info.reason if info else error.code().name}
    body["request_id"] = context.request_id.get()
    return body


async def token_unavailable_handler(_request: Request, error: Exception) -> JSONResponse:
    """The gateway could not get its own service token: a dependency problem, not the caller's."""
    body = {
        "detail": str(error),
        "reason": "ERROR_REASON_DEPENDENCY_UNAVAILABLE",
        "request_id": context.request_id.get(),
    }
    return JSONResponse(body, status_code=503)


async def rpc_error_handler(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI exception handler for a failed gRPC call made while serving a request."""
    assert isinstance(error, grpc.aio.AioRpcError)
    info = error_info_of(error)
    retry_after = info.metadata.get("retry_after_seconds") if info else None
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse(rpc_error_body(error), status_code=http_status_of(error.code()), headers=headers)
