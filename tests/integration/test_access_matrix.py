"""One lock per door: every HTTP route declares one Access; every route and RPC refuses exactly whom it should."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from fastapi import Depends, FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message_factory import GetMessageClass

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.api.common.v1 import access_pb2
from simpletuner.libs.context import Caller
from simpletuner.libs.rpc.access import access_rules, admits
from simpletuner.libs.rpc.errors import error_info_of
from simpletuner.libs.rpc.identity import AUTHORIZATION_HEADER
from simpletuner.libs.rpc.interceptors import ACCESS_DENIED
from simpletuner.libs.settings import StackSettings
from simpletuner.libs.testing.stack import Account, RunningStack, create_account
from simpletuner.services.gateway.app import create_app
from simpletuner.services.gateway.clients import SERVICE_DESCRIPTORS, ServiceClients
from simpletuner.services.gateway.security import SESSION_COOKIE, Access
from simpletuner.services.gateway.settings import GatewaySettings

ROLES = ("anonymous", "viewer", "researcher", "admin")
BODY_METHODS = frozenset({"post", "put", "patch"})
REFUSALS = (401, 403)
RPC_TIMEOUT_SECONDS = 5.0
RPC_REFUSALS = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
SHAPES = {False: "unary", True: "stream"}  # a side of an RPC, by whether it streams

RouteKey = tuple[str, str]  # (path template, lower-case method), as OpenAPI names them


def accesses_of(dependant: Dependant) -> list[Access]:
    """Every Access among a dependant's dependencies, however deeply nested."""
    found: list[Access] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Access):
            found.append(dependency.call)
        found += accesses_of(dependency)
    return found


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Each APIRoute as the app serves it: with its router's prefix and include-level dependencies applied.

    Recent FastAPI keeps included routers as lazy entries in `app.routes`; `iter_route_contexts` (what its
    OpenAPI generator walks) yields their routes in effect. Older FastAPI lists the APIRoutes themselves.
    """
    contexts = getattr(routing, "iter_route_contexts", None)
    for route in contexts(app.routes) if contexts else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def declared_routes(app: FastAPI) -> dict[RouteKey, list[Access]]:
    """The Access declarations of each (path, method) the app serves through an APIRoute."""
    return {
        (route.path_format, method.lower()): accesses_of(route.dependant)
        for route in api_routes(app)
        for method in route.methods
    }


def build_app(workspace: Path) -> FastAPI:
    """The gateway application, built in-process and never started (no lifespan, no connections)."""
    stack = StackSettings(workspace=workspace, nats_url="nats://unused")
    return create_app(GatewaySettings(stack=stack), ServiceClients(stack))


def test_every_http_route_declares_exactly_one_access(tmp_path: Path) -> None:
    routes = declared_routes(build_app(tmp_path))
    assert routes, "the app serves no APIRoute at all"
    wrong = {key: accesses for key, accesses in routes.items() if len(accesses) != 1}
    assert wrong == {}, f"routes without exactly one Access: {wrong}"


def test_the_access_walker_finds_no_access_on_a_route_that_declares_none() -> None:
    def unrelated() -> str:
        return "not an access declaration"

    throwaway = FastAPI()

    @throwaway.get("/unguarded", dependencies=[Depends(unrelated)])
    async def unguarded() -> dict[str, str]:
        return {}

    assert declared_routes(throwaway) == {("/unguarded", "get"): []}


@pytest.fixture(scope="module")
def served_routes(stack: RunningStack) -> dict[RouteKey, dict[str, Any]]:
    """Each (path, method) of the running gateway's OpenAPI schema, with its operation."""
    with stack.http() as http:
        schema = http.get("/openapi.json")
    assert schema.status_code == 200, schema.text
    return {
        (path, method): operation
        for path, operations in schema.json()["paths"].items()
        for method, operation in operations.items()
    }


@pytest.fixture(scope="module")
def route_access(tmp_path_factory: pytest.TempPathFactory) -> dict[RouteKey, Access]:
    """The one Access each in-process route declares (routes that declare none or several are left out)."""
    routes = declared_routes(build_app(tmp_path_factory.mktemp("gateway")))
    return {key: accesses[0] for key, accesses in routes.items() if len(accesses) == 1}


def test_the_running_gateway_serves_exactly_the_routes_that_declare_their_access(
    served_routes: dict[RouteKey, dict[str, Any]], route_access: dict[RouteKey, Access], tmp_path: Path
) -> None:
    undeclared = sorted(set(served_routes) - set(route_access))
    assert undeclared == [], f"served without a declared Access: {undeclared}"
    in_schema = {
        (route.path_format, method.lower())
        for route in api_routes(build_app(tmp_path))
        if route.include_in_schema
        for method in route.methods
    }
    assert set(served_routes) == in_schema


@dataclass
class Role:
    """One kind of caller: its credential, its permissions (None for anonymous) and, if a user, its account."""

    name: str
    account: Account | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    permissions: frozenset[str] | None = None
    user_id: str = ""

    @property
    def uses_session(self) -> bool:
        return SESSION_COOKIE in self.cookies

    def http(self, stack: RunningStack) -> httpx.Client:
        return stack.http(headers=self.headers, cookies=self.cookies)

    def credential(self) -> dict[str, str]:
        """This role's credential as AuthenticateRequest fields."""
        if self.uses_session:
            return {"session_token": self.cookies[SESSION_COOKIE]}
        return {"api_key": self.headers["X-API-Key"]} if self.account else {}


def sign_in(stack: RunningStack, account: Account) -> str:
    """A fresh session token for `account`."""
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": account.username, "password": account.password})
        token = http.cookies.get(SESSION_COOKIE)
    assert token, f"{account.username} could not sign in"
    return token


def user_role(stack: RunningStack, name: str, account: Account) -> Role:
    """A signed-in role: by API key, or by session cookie (same-origin writes) when the account has no key."""
    if account.api_key:
        role = Role(name, account, headers=account.headers)
    else:
        role = Role(name, account, headers={"Sec-Fetch-Site": "same-origin"})
        role.cookies = {SESSION_COOKIE: sign_in(stack, account)}
    with role.http(stack) as http:
        me = http.get("/api/auth/me")
    assert me.status_code == 200, me.text
    role.permissions = frozenset(me.json()["permissions"])
    role.user_id = me.json()["id"]
    return role


@pytest.fixture(scope="module")
def roles(stack: RunningStack, admin: Account) -> dict[str, Role]:
    viewer = create_account(stack, admin, "viewer1", ["viewer"])
    researcher = create_account(stack, admin, "researcher1", ["researcher"])
    return {
        "anonymous": Role("anonymous"),
        "viewer": user_role(stack, "viewer", viewer),
        "researcher": user_role(stack, "researcher", researcher),
        "admin": user_role(stack, "admin", admin),
    }


def expected_refusal(access: Access, role: Role) -> int | None:
    """The status `role` must get from a route declaring `access`: 401, 403, or None (let through)."""
    if access.kind == "public":
        return None
    if access.kind == "worker":  # only a worker token opens these; no user credential does
        return 401
    if role.permissions is None:
        return 401
    if access.kind == "permission" and access.permission not in role.permissions:
        return 403
    return None


def concrete_path(template: str) -> str:
    """The path with every {parameter} filled by a random uuid (so user-id routes answer 404)."""
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + str(uuid.uuid4()) + path[end + 1 :]
    return path


def status_of(http: httpx.Client, method: str, path: str) -> tuple[int, str]:
    """The status (and, unless it is an event stream, the body) of one request; streams are closed unread."""
    body: dict[str, Any] | None = {} if method in BODY_METHODS else None
    with http.stream(method.upper(), path, json=body) as reply:
        if reply.headers.get("content-type", "").startswith("text/event-stream"):
            return reply.status_code, "(event stream)"
        return reply.status_code, reply.read().decode(errors="replace")[:200]


def call_route(stack: RunningStack, role: Role, http: httpx.Client, method: str, template: str) -> tuple[int, str]:
    path = concrete_path(template)
    if template.endswith("/logout") and role.uses_session and role.account:
        # logging out ends the session sent: use a throwaway one, never the session the matrix relies on
        throwaway = Role(role.name, headers=role.headers, cookies={SESSION_COOKIE: sign_in(stack, role.account)})
        with throwaway.http(stack) as other:
            return status_of(other, method, path)
    return status_of(http, method, path)


@pytest.fixture
def role_clients(stack: RunningStack, roles: dict[str, Role]) -> Iterator[dict[str, httpx.Client]]:
    clients = {name: role.http(stack) for name, role in roles.items()}
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()


def test_every_served_route_refuses_exactly_the_roles_its_access_excludes(
    stack: RunningStack,
    served_routes: dict[RouteKey, dict[str, Any]],
    route_access: dict[RouteKey, Access],
    roles: dict[str, Role],
    role_clients: dict[str, httpx.Client],
) -> None:
    failures: list[str] = []
    checks = 0
    for template, method in sorted(served_routes):
        access = route_access.get((template, method))
        if access is None:
            failures.append(f"{method.upper()} {template} declares no single Access")
            continue
        for name in ROLES:
            role = roles[name]
            status, body = call_route(stack, role, role_clients[name], method, template)
            expected = expected_refusal(access, role)
            checks += 1
            if (expected is None and status in REFUSALS) or (expected is not None and status != expected):
                wanted = expected or "not 401/403"
                failures.append(
                    f"{method.upper()} {template} as {name} ({access!r}): {status}, wanted {wanted}: {body}"
                )
    print(f"\nHTTP access matrix: {checks} checks ({len(served_routes)} routes x {len(ROLES)} roles)")
    assert failures == []
    assert checks >= len(ROLES) * len(served_routes)
    for name in ROLES[1:]:  # no call of the matrix signed anyone out or disabled them
        assert role_clients[name].get("/api/auth/me").status_code == 200, name


@dataclass(frozen=True)
class RpcCaller:
    """A gRPC caller: its bearer token ("" for none) and who `admits` sees (None when no token is sent)."""

    name: str
    token: str
    who: Caller | None


def service_secret(stack: RunningStack) -> str:
    return StackSettings(workspace=stack.workspace).service_secret_file.read_text().strip()


async def rpc_callers(stack: RunningStack, roles: dict[str, Role]) -> list[RpcCaller]:
    """No token, each signed-in role's caller token (via Authenticate), and a service token named "tests"."""
    bearer = lambda token: ((AUTHORIZATION_HEADER, f"Bearer {token}"),)  # noqa: E731 - tiny local helper
    async with grpc.aio.insecure_channel(stack.state["services"]["auth"]["address"]) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        issued = await auth.IssueServiceToken(
            auth_pb2.IssueServiceTokenRequest(service="tests", secret=service_secret(stack)),
            timeout=RPC_TIMEOUT_SECONDS,
        )
        callers = [RpcCaller("no token", "", None)]
        for name in ROLES[1:]:
            role = roles[name]
            reply = await auth.Authenticate(
                auth_pb2.AuthenticateRequest(**role.credential()),
                metadata=bearer(issued.token),
                timeout=RPC_TIMEOUT_SECONDS,
            )
            assert role.permissions is not None and frozenset(reply.permissions) == role.permissions, name
            who = Caller(subject=role.user_id, username=reply.user.username, permissions=role.permissions)
            callers.append(RpcCaller(name, reply.caller_token, who))
    callers.append(RpcCaller("service", issued.token, Caller(subject="service:tests", is_service=True)))
    return callers


def is_admitted(rule: access_pb2.AccessRule, caller: RpcCaller) -> bool:
    if caller.who is None:
        return rule.audience == access_pb2.AUDIENCE_SELF_AUTHENTICATING
    return admits(rule, caller.who)


async def call_empty(channel: grpc.aio.Channel, path: str, method: MethodDescriptor, token: str) -> None:
    """Call `method` with one empty request (as a stream of one when it takes a stream), as `token` or without one."""
    request_type, reply_type = GetMessageClass(method.input_type), GetMessageClass(method.output_type)
    metadata = ((AUTHORIZATION_HEADER, f"Bearer {token}"),) if token else ()
    options: dict[str, Any] = {
        "request_serializer": request_type.SerializeToString,
        "response_deserializer": reply_type.FromString,
    }
    shape = f"{SHAPES[method.client_streaming]}_{SHAPES[method.server_streaming]}"  # unary_unary ... stream_stream
    request = iter([request_type()]) if method.client_streaming else request_type()
    call = getattr(channel, shape)(path, **options)(request, metadata=metadata, timeout=RPC_TIMEOUT_SECONDS)
    if method.server_streaming:  # consume the streamed reply
        async for _ in call:
            pass
    else:
        await call


async def rpc_failure(
    channel: grpc.aio.Channel, path: str, method: MethodDescriptor, admitted: bool, token: str
) -> str:
    """Why one call broke its access rule ("" when it did not)."""
    try:
        await call_empty(channel, path, method, token)
    except grpc.aio.AioRpcError as exc:
        info = error_info_of(exc)
        denied = info is not None and info.metadata.get(ACCESS_DENIED) == "true"
        outcome = f"{exc.code().name} {exc.details()!r}, access_denied={denied}"
        if admitted and denied:
            return f"admitted but refused by its access rule: {outcome}"
        if not admitted and not (denied and exc.code() in RPC_REFUSALS):
            return f"not admitted, so an access refusal was wanted: {outcome}"
        return ""
    return "" if admitted else "not admitted, yet the call succeeded"


async def test_every_rpc_refuses_by_its_access_rule_exactly_the_callers_it_does_not_admit(
    stack: RunningStack, roles: dict[str, Role]
) -> None:
    callers = await rpc_callers(stack, roles)
    failures: list[str] = []
    checks = 0
    for service in SERVICE_DESCRIPTORS:
        address = stack.state["services"][service.full_name.split(".")[-3]]["address"]  # simpletuner.api.<name>.v1
        rules = access_rules(service)
        async with grpc.aio.insecure_channel(address) as channel:
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                for caller in callers:
                    checks += 1
                    if why := await rpc_failure(channel, path, method, is_admitted(rules[path], caller), caller.token):
                        failures.append(f"{path} as {caller.name}: {why}")
    methods = sum(len(service.methods) for service in SERVICE_DESCRIPTORS)
    print(f"\ngRPC access matrix: {checks} checks ({methods} methods x {len(callers)} callers)")
    assert failures == []
    assert checks == methods * len(callers)
