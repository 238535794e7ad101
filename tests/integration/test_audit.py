"""The audit log: every security event recorded with actor and IP, a verifiable chain, NATS copies, retention."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import create_engine, text

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams
from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)


def _events(stack: RunningStack, admin: Account, **params: Any) -> list[dict[str, Any]]:
    with stack.http(headers=admin.headers) as http:
        reply = http.get("/api/audit", params={"limit": 1000, **params})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["events"])


def _wait_for(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_sign_ins_user_changes_and_keys_are_recorded_with_actor_and_ip(stack: RunningStack, admin: Account) -> None:
    rita = create_account(stack, admin, "rita", ["researcher"])
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": "rita", "password": "wrong-password"})
    by_type = {}
    for event in _events(stack, admin):
        by_type.setdefault(event["event_type"], []).append(event)
    created = [e for e in by_type["user.created"] if e["target_id"] == rita.user_id]
    assert created and created[0]["actor_id"] == admin.user_id and created[0]["actor_ip"] == "127.0.0.1"
    assert created[0]["details"]["levels"] == ["researcher"]
    assert any(e["actor_username"] == "rita" for e in by_type["auth.login.success"])
    failed = [e for e in by_type["auth.login.failed"] if e["actor_username"] == "rita"]
    assert failed and failed[0]["actor_ip"] == "127.0.0.1"
    assert any(e["actor_id"] == rita.user_id for e in by_type["api_key.created"])
    assert all(rita.api_key not in json.dumps(e) for events in by_type.values() for e in events)


def test_a_refused_request_is_recorded_as_a_permission_denial(stack: RunningStack, admin: Account) -> None:
    viewer = create_account(stack, admin, "vera", ["researcher"])
    with stack.http(headers=viewer.headers) as http:
        assert http.get("/api/users").status_code == 403

    def denied() -> list[dict[str, Any]]:
        return _events(stack, admin, event_type="security.permission_denied", actor_id=viewer.user_id)

    _wait_for(lambda: bool(denied()))
    event = denied()[0]
    assert event["target_id"] == "GET /api/users" and event["details"]["permission"] == "admin.users"


def test_the_log_filters_by_type_prefix_and_actor(stack: RunningStack, admin: Account) -> None:
    only_auth = _events(stack, admin, event_type="auth.")
    only_admin = _events(stack, admin, actor_id=admin.user_id)
    assert only_auth and all(e["event_type"].startswith("auth.") for e in only_auth)
    assert only_admin and all(e["actor_id"] == admin.user_id for e in only_admin)
    ids = [e["id"] for e in _events(stack, admin)]
    assert ids == sorted(ids, reverse=True)


def test_entries_are_published_on_the_bus(stack: RunningStack, admin: Account) -> None:
    created = _events(stack, admin, event_type="user.created")

    async def published() -> list[Any]:
        client = await nats.connect(stack.state["nats_url"])
        try:
            sub = await client.jetstream().subscribe(
                "simpletuner.audit.user", stream=streams.AUDIT.name, ordered_consumer=True
            )
            found = []
            while True:
                try:
                    message = await sub.next_msg(timeout=2)
                except TimeoutError:
                    return found
                found.append(events_pb2.Event.FromString(message.data).audit_recorded.entry)
        finally:
            await client.close()

    recorded = asyncio.run(published())
    assert {e["id"] for e in created} <= {r.id for r in recorded}
    assert all(r.event_type.startswith("user.") for r in recorded)


def test_the_chain_verifies_after_concurrent_writes(stack: RunningStack, admin: Account) -> None:
    def make(index: int) -> int:
        with stack.http(headers=admin.headers) as http:
            body = {"email": f"c{index}@example.com", "username": f"conc{index}", "password": "conc-password"}
            return http.post("/api/users", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(make, range(8))) == {201}
    with stack.http(headers=admin.headers) as http:
        verdict = http.get("/api/audit/verify").json()
    assert verdict["valid"] is True and verdict["checked"] >= 8


@pytest.fixture(scope="module")
def tamper_stack(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]
) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("tamper"), env=database_env(new_database())) as running:
        yield running


def _sql(stack: RunningStack, statement: str, **params: Any) -> list[Any]:
    url = stack.database_url or f"sqlite:///{stack.workspace / 'private' / 'db' / 'auth.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        result = conn.execute(text(statement), params)
        rows = list(result) if result.returns_rows else []
    engine.dispose()
    return rows


def _verify(stack: RunningStack, admin: Account) -> dict[str, Any]:
    with stack.http(headers=admin.headers) as http:
        return dict(http.get("/api/audit/verify").json())


def test_editing_pruning_and_deleting_entries_is_detected_or_anchored(tamper_stack: RunningStack) -> None:
    admin = create_first_admin(tamper_stack)
    for name in ("user1", "user2", "user3", "user4"):
        create_account(tamper_stack, admin, name, ["viewer"])
    assert _verify(tamper_stack, admin)["valid"] is True
    ids = [row[0] for row in _sql(tamper_stack, "SELECT id FROM auth_audit_log ORDER BY id")]
    middle = ids[len(ids) // 2]

    original = _sql(tamper_stack, "SELECT actor_ip FROM auth_audit_log WHERE id = :id", id=middle)[0][0]
    _sql(tamper_stack, "UPDATE auth_audit_log SET actor_ip = '10.6.6.6' WHERE id = :id", id=middle)
    edited = _verify(tamper_stack, admin)
    assert edited["valid"] is False and edited["first_broken_id"] == middle
    _sql(tamper_stack, "UPDATE auth_audit_log SET actor_ip = :ip WHERE id = :id", ip=original, id=middle)
    assert _verify(tamper_stack, admin)["valid"] is True

    old = datetime.now(UTC) - timedelta(days=400)
    _sql(tamper_stack, "UPDATE auth_audit_log SET created_at = :t WHERE id <= :id", t=old, id=ids[2])
    # rewriting created_at breaks those entries' hashes, and pruning removes exactly them
    with tamper_stack.http(headers=admin.headers) as http:
        pruned = http.post("/api/audit/prune", params={"older_than_days": 365}).json()
    assert pruned == {"success": True, "deleted": 3}
    assert _verify(tamper_stack, admin)["valid"] is True  # verified from the anchor on

    remaining = [row[0] for row in _sql(tamper_stack, "SELECT id FROM auth_audit_log ORDER BY id")]
    _sql(tamper_stack, "DELETE FROM auth_audit_log WHERE id = :id", id=remaining[1])
    verdict = _verify(tamper_stack, admin)
    assert verdict["valid"] is False and verdict["first_broken_id"] == remaining[2]
    assert "does not follow" in verdict["message"]


def test_deleting_the_last_entry_is_detected(tmp_path: Path, new_database: Callable[[], str | None]) -> None:
    with running_stack(tmp_path, env=database_env(new_database())) as fresh:
        admin = create_first_admin(fresh)
        last = _sql(fresh, "SELECT max(id) FROM auth_audit_log")[0][0]
        _sql(fresh, "DELETE FROM auth_audit_log WHERE id = :id", id=last)
        verdict = _verify(fresh, admin)
    assert verdict["valid"] is False and verdict["first_broken_id"] == last


@pytest.mark.parametrize("service", ["config", "auth"])
def test_a_direct_grpc_call_without_identity_is_refused_and_audited(
    stack: RunningStack, admin: Account, service: str
) -> None:
    import grpc

    from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
    from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc

    address = stack.state["services"][service]["address"]
    with grpc.insecure_channel(address) as channel:
        if service == "config":
            call = lambda: config_pb2_grpc.ConfigServiceStub(channel).GetServiceInfo(config_pb2.GetServiceInfoRequest())  # noqa: E731
        else:
            call = lambda: auth_pb2_grpc.AuthServiceStub(channel).GetServiceInfo(auth_pb2.GetServiceInfoRequest())  # noqa: E731
        with pytest.raises(grpc.RpcError) as refused:
            call()
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]

    def audited() -> list[dict[str, Any]]:
        events = _events(stack, admin, event_type="security.unauthenticated")
        return [e for e in events if e["details"].get("service") == service]

    _wait_for(lambda: bool(audited()))
    assert audited()[0]["target_id"].endswith("/GetServiceInfo") and audited()[0]["target_type"] == "rpc"
