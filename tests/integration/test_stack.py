"""The whole stack through its HTTP face: healthy services, documented API, live events that survive restarts."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simpletuner.libs.db.migrations import Migrations
from simpletuner.libs.settings import SERVICES
from simpletuner.libs.testing.sse import EventStream, Frame
from simpletuner.libs.testing.stack import Account, RunningStack, isolated_env

SERVING = "SERVICE_STATE_SERVING"


def _serving_services(frames: list[Frame]) -> dict[str, str]:
    """service -> instance id of its latest SERVING announcement."""
    serving = {}
    for frame in frames:
        change = frame.data.get("service_state_changed", {})
        if change.get("state") == SERVING:
            serving[change["service"]] = change["instance_id"]
    return serving


def migrations_of(service: str) -> Migrations:
    return importlib.import_module(f"simpletuner.services.{service}.models").MIGRATIONS  # type: ignore[no-any-return]


def test_health_reports_every_service_serving_with_its_database_and_bus(stack: RunningStack) -> None:
    with stack.http() as http:
        response = http.get("/api/health")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["nats"]["connected"] is True
    for name in SERVICES:
        service = body["services"][name]
        assert service["status"] == "SERVING"
        assert service["schema_revision"] == migrations_of(name).head()
        assert service["dependencies"] == {
            "database": {"healthy": True, "detail": "ok"},
            "bus": {"healthy": True, "detail": "ok"},
        }


def test_the_gateway_probe_passes_on_a_healthy_stack(stack: RunningStack) -> None:
    port = stack.url.rsplit(":", 1)[1]
    env = isolated_env(stack.workspace, {"SIMPLETUNER_PORT": port})
    probe = [str(Path(sys.executable).parent / "simpletuner"), "probe", "gateway"]
    assert subprocess.run(probe, env=env, timeout=30).returncode == 0


def test_openapi_and_both_doc_pages_are_served(stack: RunningStack) -> None:
    with stack.http() as http:
        assert http.get("/openapi.json").json()["info"]["title"] == "SimpleTuner"
        assert "swagger" in http.get("/docs").text.lower()
        assert "redoc" in http.get("/redoc").text.lower()


def test_service_start_events_reach_an_sse_client_with_ids_and_no_buffering(
    stack: RunningStack, admin: Account
) -> None:
    with stack.http() as http, http.stream("GET", "/api/events", headers=admin.headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        frames = EventStream(response).read_until(lambda seen: set(_serving_services(seen)) == set(SERVICES))
    assert all(frame.event == "service_state_changed" for frame in frames)
    ids = [int(frame.id) for frame in frames]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_last_event_id_resumes_right_after_the_last_frame_seen(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        with http.stream("GET", "/api/events", headers=admin.headers) as response:
            first_two = EventStream(response).read_until(lambda seen: len(seen) >= 2)
        resume_after = first_two[0].id
        with http.stream("GET", "/api/events", headers={"Last-Event-ID": resume_after, **admin.headers}) as response:
            resumed = EventStream(response).read_until(lambda seen: len(seen) >= 1)
        with http.stream("GET", "/api/events", params={"since": resume_after}, headers=admin.headers) as response:
            resumed_by_query = EventStream(response).read_until(lambda seen: len(seen) >= 1)
    assert resumed[0].id == first_two[1].id == resumed_by_query[0].id
    assert resumed[0].data == first_two[1].data


def test_a_killed_service_is_restarted_logged_and_announced_live(stack: RunningStack, admin: Account) -> None:
    old_pid = stack.state["pids"]["config"]
    with stack.http() as http, http.stream("GET", "/api/events", headers=admin.headers) as response:
        events = EventStream(response)
        before = events.read_until(lambda seen: set(_serving_services(seen)) == set(SERVICES))
        old_instance = _serving_services(before)["config"]
        os.kill(old_pid, signal.SIGKILL)
        after = events.read_until(lambda seen: _serving_services(before + seen)["config"] != old_instance)
    new_instance = _serving_services(before + after)["config"]
    assert new_instance != old_instance
    assert "config exited with code -9; restarting" in stack.output()
    deadline = time.monotonic() + 10
    while stack.state["pids"]["config"] == old_pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.state["pids"]["config"] != old_pid
    with stack.http() as http:
        assert http.get("/api/health").json()["services"]["config"]["instance_id"] == new_instance
