"""The interceptor chain: request ids travel, tokens are verified, errors become google.rpc.Status (streams too)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from jose import jwt

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.api.config.v1 import datasets_pb2, datasets_pb2_grpc
from simpletuner.libs import context, permissions
from simpletuner.libs.context import Caller
from simpletuner.libs.rpc import errors
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import open_channel
from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.identity import TokenSigner, TokenVerifier, ensure_signing_keys
from simpletuner.libs.rpc.interceptors import ACCESS_DENIED
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


@pytest.fixture(scope="module")
def signer(keys: tuple[Path, Path]) -> TokenSigner:
    return TokenSigner(keys[0].read_text())


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@pytest.fixture(scope="module")
def as_service(signer: TokenSigner) -> list[tuple[str, str]]:
    return bearer(signer.issue(Caller(subject="service:test", username="test", is_service=True)))


def user_token(signer: TokenSigner, *permissions: str) -> str:
    return signer.issue(Caller(subject="user-1", username="ada", permissions=frozenset(permissions)))


@dataclass
class Served:
    servicer: ScriptedServicer
    stub: auth_pb2_grpc.AuthServiceStub
    host: ServiceHost
    channel: grpc.aio.Channel


@pytest.fixture
async def served(keys: tuple[Path, Path]) -> AsyncIterator[Served]:
    servicer = ScriptedServicer()
    host = ServiceHost(TokenVerifier(keys[1]))
    host.add(
        auth_pb2_grpc.add_AuthServiceServicer_to_server, servicer, auth_pb2.DESCRIPTOR.services_by_name["AuthService"]
    )
    port = host.bind("127.0.0.1:0")
    await host.start()
    channel = open_channel(f"127.0.0.1:{port}")
    try:
        yield Served(servicer, auth_pb2_grpc.AuthServiceStub(channel), host, channel)
    finally:
        await channel.close()
        await host.stop(0)


async def test_the_callers_request_id_reaches_the_handler(served, as_service) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    token = context.request_id.set("req-123")
    try:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=as_service)
    finally:
        context.request_id.reset(token)
    assert servicer.seen[-1][0] == "req-123"


async def test_a_call_without_request_id_gets_a_fresh_one(served, as_service) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=[("x-request-id", ""), *as_service])
    assert len(servicer.seen[-1][0]) == 32


async def test_a_valid_caller_token_becomes_the_handlers_caller(served, signer) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    who = Caller(subject="user-1", username="ada", permissions=frozenset({"admin.config"}))
    await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=bearer(signer.issue(who)))
    assert servicer.seen[-1][1] == who


def _access_denial(failure: pytest.ExceptionInfo[grpc.aio.AioRpcError]) -> bool:
    info = errors.error_info_of(failure.value)
    return info is not None and info.metadata.get(ACCESS_DENIED) == "true"


async def test_a_call_without_a_token_is_refused_before_the_handler(served) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest())
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED and _access_denial(failure)
    assert servicer.seen == []


@pytest.mark.parametrize(
    "make_token",
    [
        lambda private: "not-a-jwt",
        lambda private: TokenSigner(private).issue(Caller(subject="u", permissions=frozenset({"admin.config"})), -10),
        lambda private: jwt.encode({"sub": "u", "perms": ["admin.config"], "exp": int(time.time()) + 60}, "k", "HS256"),
        lambda private: _unsigned({"sub": "u", "perms": ["admin.config"], "exp": int(time.time()) + 60}),
        lambda private: _tampered(TokenSigner(private).issue(Caller(subject="u"))),
        lambda private: _other_audience(private),
    ],
    ids=["garbage", "expired", "wrong-key-and-algorithm", "alg-none", "tampered", "wrong-audience"],
)
async def test_a_bad_token_is_refused_before_the_handler_runs(served, keys, make_token) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=bearer(make_token(keys[0].read_text())))
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED and _access_denial(failure)
    assert servicer.seen == []


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict[str, object]) -> str:
    """An `alg: none` token: no signature at all."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'iss': 'simpletuner-auth', 'aud': 'simpletuner'})}."


def _tampered(token: str) -> str:
    """Swap in a payload granting admin.config while keeping the original signature."""
    header, _, signature = token.split(".")
    claims = {"sub": "u", "perms": ["admin.config"], "iss": "simpletuner-auth", "aud": "simpletuner"}
    return f"{header}.{_b64({**claims, 'exp': int(time.time()) + 60})}.{signature}"


def _other_audience(private: str) -> str:
    now = int(time.time())
    claims = {"sub": "u", "perms": ["admin.config"], "iss": "simpletuner-auth", "aud": "elsewhere", "exp": now + 60}
    return jwt.encode(claims, private, algorithm="ES256")


async def test_a_user_without_the_declared_permission_is_refused(served, signer) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=bearer(user_token(signer, "job.submit")))
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED and _access_denial(failure)
    assert errors.error_info_of(failure.value).metadata["permission"] == "admin.config"  # type: ignore[union-attr]
    assert servicer.seen == []


async def test_service_only_rpcs_refuse_user_tokens_and_admit_services(served, signer, as_service) -> None:  # type: ignore[no-untyped-def]
    stub = served.stub
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Login(auth_pb2.LoginRequest(), metadata=bearer(user_token(signer, *permissions.ALL)))
    with pytest.raises(grpc.aio.AioRpcError) as admitted:  # the scripted servicer does not implement Login
        await stub.Login(auth_pb2.LoginRequest(), metadata=as_service)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and _access_denial(refused)
    assert admitted.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_user_rpcs_refuse_service_tokens(served, as_service) -> None:  # type: ignore[no-untyped-def]
    stub = served.stub
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ChangePassword(auth_pb2.ChangePasswordRequest(), metadata=as_service)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and _access_denial(refused)


async def test_the_token_exchange_needs_no_token(served) -> None:  # type: ignore[no-untyped-def]
    stub = served.stub
    with pytest.raises(grpc.aio.AioRpcError) as admitted:
        await stub.IssueServiceToken(auth_pb2.IssueServiceTokenRequest())
    assert admitted.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_a_method_without_a_declared_rule_refuses_everyone(served, as_service) -> None:  # type: ignore[no-untyped-def]
    stub, host = served.stub, served.host
    host.rules.clear()
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=as_service)
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED and "declares no access rule" in str(
        failure.value.details()
    )


async def test_a_domain_error_arrives_as_status_with_error_info(served, as_service) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub

    def missing() -> auth_pb2.GetServiceInfoResponse:
        raise errors.NotFound("environment 'x' does not exist; create it first", name="x")

    servicer.behavior = missing
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(auth_pb2.GetServiceInfoRequest(), metadata=as_service)
    info = errors.error_info_of(failure.value)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert failure.value.details() == "environment 'x' does not exist; create it first"
    assert info is not None and info.reason == "ERROR_REASON_NOT_FOUND" and info.metadata["name"] == "x"
    assert http_status_of(failure.value.code()) == 404
    assert rpc_error_body(failure.value)["reason"] == "ERROR_REASON_NOT_FOUND"


async def test_an_unexpected_exception_becomes_internal_with_the_request_id(served, as_service) -> None:  # type: ignore[no-untyped-def]
    servicer, stub = served.servicer, served.stub

    def crash() -> auth_pb2.GetServiceInfoResponse:
        raise ZeroDivisionError("secret internals")

    servicer.behavior = crash
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetServiceInfo(
            auth_pb2.GetServiceInfoRequest(), metadata=[("x-request-id", "req-boom"), *as_service]
        )
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

    watch = health_pb2_grpc.HealthStub(served.channel).Watch(health_pb2.HealthCheckRequest(service=""))
    first = await watch.read()
    watch.cancel()
    assert first.status == health_pb2.HealthCheckResponse.SERVING


class ScriptedDatasets(datasets_pb2_grpc.DatasetServiceServicer):
    """A client-streaming handler that reads its whole stream and records who it ran as."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Caller, int]] = []
        self.failure: Exception | None = None

    async def UploadDatasetArchive(self, request_iterator, ctx):  # type: ignore[no-untyped-def]
        count = len([message async for message in request_iterator])
        self.seen.append((context.request_id.get(), context.caller.get(), count))
        if self.failure is not None:
            raise self.failure
        return datasets_pb2.UploadDatasetArchiveResponse()


@dataclass
class Streamed:
    servicer: ScriptedDatasets
    address: str


@pytest.fixture
async def streamed(keys: tuple[Path, Path]) -> AsyncIterator[Streamed]:
    servicer = ScriptedDatasets()
    host = ServiceHost(TokenVerifier(keys[1]))
    descriptor = datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"]
    host.add(datasets_pb2_grpc.add_DatasetServiceServicer_to_server, servicer, descriptor)
    port = host.bind("127.0.0.1:0")
    await host.start()
    try:
        yield Streamed(servicer, f"127.0.0.1:{port}")
    finally:
        await host.stop(0)


async def archive_parts() -> AsyncIterator[datasets_pb2.UploadDatasetArchiveRequest]:
    yield datasets_pb2.UploadDatasetArchiveRequest(target_path="set")
    for _ in range(3):
        yield datasets_pb2.UploadDatasetArchiveRequest(data=b"zip bytes")


async def test_a_client_streaming_call_without_a_token_is_refused_before_the_handler(streamed) -> None:  # type: ignore[no-untyped-def]
    async with grpc.aio.insecure_channel(streamed.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await datasets_pb2_grpc.DatasetServiceStub(channel).UploadDatasetArchive(archive_parts())
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED and _access_denial(failure)
    assert streamed.servicer.seen == []


async def test_a_client_streaming_call_needs_its_declared_permission(streamed, signer, as_service) -> None:  # type: ignore[no-untyped-def]
    async with grpc.aio.insecure_channel(streamed.address) as channel:
        stub = datasets_pb2_grpc.DatasetServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as viewer:
            await stub.UploadDatasetArchive(archive_parts(), metadata=bearer(user_token(signer, "datasets.view")))
        with pytest.raises(grpc.aio.AioRpcError) as service:
            await stub.UploadDatasetArchive(archive_parts(), metadata=as_service)
    for refused in (viewer, service):
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and _access_denial(refused)
    assert errors.error_info_of(viewer.value).metadata["permission"] == "datasets.upload"  # type: ignore[union-attr]
    assert streamed.servicer.seen == []


async def test_a_client_streaming_call_carries_the_users_token_and_request_id_to_the_handler(streamed, signer) -> None:  # type: ignore[no-untyped-def]
    rules = access_rules(datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"])
    token = context.caller_token.set(user_token(signer, "datasets.upload"))
    rid = context.request_id.set("req-stream")
    channel = open_channel(streamed.address, rules=rules)
    try:  # no explicit metadata: the client interceptor adds the token and the request id
        await datasets_pb2_grpc.DatasetServiceStub(channel).UploadDatasetArchive(archive_parts())
    finally:
        await channel.close()
        context.request_id.reset(rid)
        context.caller_token.reset(token)
    request_id, who, count = streamed.servicer.seen[-1]
    assert (request_id, who.subject, who.holds("datasets.upload"), count) == ("req-stream", "user-1", True, 4)


async def test_a_domain_error_in_a_client_streaming_handler_arrives_as_status(streamed, signer) -> None:  # type: ignore[no-untyped-def]
    streamed.servicer.failure = errors.InvalidArgument("the archive is damaged; upload it again")
    async with grpc.aio.insecure_channel(streamed.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await datasets_pb2_grpc.DatasetServiceStub(channel).UploadDatasetArchive(
                archive_parts(), metadata=bearer(user_token(signer, "datasets.upload"))
            )
    info = errors.error_info_of(failure.value)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info is not None and info.reason == "ERROR_REASON_INVALID_ARGUMENT" and not _access_denial(failure)
