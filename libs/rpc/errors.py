"""Domain errors and their one mapping to google.rpc.Status with an ErrorInfo reason."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from simpletuner.api.common.v1 import common_pb2

ERROR_DOMAIN = "simpletuner.dev"


class ServiceError(Exception):
    """A failure a caller can act on; the message says what to fix."""

    code = grpc.StatusCode.INTERNAL
    reason = common_pb2.ERROR_REASON_INTERNAL

    def __init__(self, message: str, **metadata: str) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = metadata


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND
    reason = common_pb2.ERROR_REASON_NOT_FOUND


class InvalidArgument(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = common_pb2.ERROR_REASON_INVALID_ARGUMENT


class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS
    reason = common_pb2.ERROR_REASON_ALREADY_EXISTS


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED
    reason = common_pb2.ERROR_REASON_PERMISSION_DENIED


class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = common_pb2.ERROR_REASON_UNAUTHENTICATED


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = common_pb2.ERROR_REASON_FAILED_PRECONDITION


class RateLimited(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = common_pb2.ERROR_REASON_RATE_LIMITED

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, retry_after_seconds=str(retry_after_seconds))


class DependencyUnavailable(ServiceError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_DEPENDENCY_UNAVAILABLE


def to_rpc_status(
    code: grpc.StatusCode, message: str, reason: int, metadata: dict[str, str] | None = None
) -> grpc.Status:
    """A google.rpc.Status carrying an ErrorInfo detail, ready for `context.abort_with_status`."""
    info = error_details_pb2.ErrorInfo(
        reason=common_pb2.ErrorReason.Name(reason), domain=ERROR_DOMAIN, metadata=metadata or {}
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return rpc_status.to_status(status)


def error_info_of(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo detail a SimpleTuner service attached to a failed call, if any."""
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None


def relayed(error: grpc.aio.AioRpcError) -> ServiceError:
    """Another service's refusal passed on to our caller unchanged (code, message, reason), not as INTERNAL."""
    info = error_info_of(error)
    relay = ServiceError(error.details() or error.code().name, **(dict(info.metadata) if info else {}))
    relay.code = error.code()
    if info is not None and info.reason in common_pb2.ErrorReason.keys():
        relay.reason = common_pb2.ErrorReason.Value(info.reason)  # type: ignore[assignment]
    return relay
