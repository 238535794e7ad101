"""The interceptor chain: request ids travel, tokens are verified, errors become google.rpc.Status."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest
from jose import jwt

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.context import Caller
from simpletuner.libs.rpc import errors
from simpletuner.libs.rpc.client import open_channel
from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.identity import TokenSigner, TokenVerifier, ensure_signing_keys
from simpletuner.services.gateway.errors import http_status_of, rpc_error_body

Behavior = Callable[[], auth_pb2.GetServiceInfoResponse]


class ScriptedServicer(auth_pb2_grpc.AuthServiceServicer):
    """Runs whatever the test sets as `behavior` and records the context it saw."""

    def __init__(self) -> None:
        self.behavior: Behavior = auth_pb2.GetServiceInfoResponse
        self.seen: list[tuple[str, Caller]] = []

    async def GetServiceInfo(self, request, ctx):  # type: ignore[no-untyped-def]
        self.seen.append((context.request_id.get(), context.caller.get()))
        return self.behavior()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("keys")
    private, public = directory / "private.pem", directory / "public.pem"
    ensure_signing_keys(private, public)
    return private, public


@pytest.fixture
async def served(
    keys: tuple[Path, Path],
) -> AsyncIterator[tuple[ScriptedServicer, auth_pb2_grpc.AuthServiceStub, grpc.aio.Channel]]:
    servicer = ScriptedServicer()
    host = ServiceHost(TokenVerifier(keys[1]))
    host.add(
        auth_pb2_grpc.add_AuthServiceServicer_to_server, servicer, auth_pb2.DESCRIPTOR.services_by_name["AuthService"]
    )
    port = host.bind("127.0.0.1:0")
    await host.start()
    channel = open_channel(f"127.0.0.1:{port}")
    try:
        yield servicer, auth_pb2_grpc.AuthServiceStub(channel), channel
    finally:
        await channel.close()
        await host.stop(0)


async def test_the_callers_request_id_reaches_the_handler(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served
    token = context.request_id.set("req-123")
    try:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest())
    finally:
        context.request_id.reset(token)
    assert servicer.seen[-1][0] == "req-123"


async def test_a_call_without_request_id_gets_a_fresh_one(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served
    await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=[("x-request-id", "")])
    assert len(servicer.seen[-1][0]) == 32


async def test_a_valid_caller_token_becomes_the_handlers_caller(served, keys) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served
    who = Caller(subject="user-1", username="ada", permissions=frozenset({"job.submit"}))
    token = TokenSigner(keys[0].read_text()).issue(who)
    await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=[("authorization", f"Bearer {token}")])
    assert servicer.seen[-1][1] == who


async def test_no_token_means_an_anonymous_caller(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served
    await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest())
    assert servicer.seen[-1][1].is_anonymous


@pytest.mark.parametrize(
    "make_token",
    [
        lambda private: "not-a-jwt",
        lambda private: TokenSigner(private).issue(Caller(subject="u"), ttl_seconds=-10),  # expired
        lambda private: jwt.encode({"sub": "u", "perms": [], "exp": int(time.time()) + 60}, "secret", "HS256"),
    ],
    ids=["garbage", "expired", "wrong-key-and-algorithm"],
)
async def test_a_bad_token_is_refused_before_the_handler_runs(served, keys, make_token) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served
    before = len(servicer.seen)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        token = make_token(keys[0].read_text())
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=[("authorization", f"Bearer {token}")])
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert len(servicer.seen) == before


async def test_a_domain_error_arrives_as_status_with_error_info(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served

    def missing() -> auth_pb2.GetServiceInfoResponse:
        raise errors.NotFound("environment 'x' does not exist; create it first", name="x")

    servicer.behavior = missing
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest())
    info = errors.error_info_of(failure.value)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert failure.value.details() == "environment 'x' does not exist; create it first"
    assert info is not None and info.reason == "ERROR_REASON_NOT_FOUND" and info.metadata["name"] == "x"
    assert http_status_of(failure.value.code()) == 404
    assert rpc_error_body(failure.value)["reason"] == "ERROR_REASON_NOT_FOUND"


async def test_an_unexpected_exception_becomes_internal_with_the_request_id(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub, _ = served

    def crash() -> auth_pb2.GetServiceInfoResponse:
        raise ZeroDivisionError("secret internals")

    servicer.behavior = crash
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=[("x-request-id", "req-boom")])
    assert failure.value.code() == grpc.StatusCode.INTERNAL
    assert "secret internals" not in (failure.value.details() or "")
    assert "req-boom" in (failure.value.details() or "")
    info = errors.error_info_of(failure.value)
    assert info is not None and info.metadata["request_id"] == "req-boom"


@pytest.mark.parametrize(
    ("code", "http"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
    ],
)
def test_grpc_codes_map_to_their_http_equivalents(code: grpc.StatusCode, http: int) -> None:
    assert http_status_of(code) == http


def test_every_grpc_code_has_an_http_status() -> None:
    from simpletuner.services.gateway.errors import HTTP_STATUS

    assert set(HTTP_STATUS) == set(grpc.StatusCode)


async def test_streaming_health_watch_passes_through_the_chain(served) -> None:  # type: ignore[no-untyped-def]
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    _, _, channel = served
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    first = await watch.read()
    watch.cancel()
    assert first.status == health_pb2.HealthCheckResponse.SERVING
