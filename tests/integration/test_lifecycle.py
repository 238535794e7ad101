"""Starting and stopping: clean shutdown with nothing left behind, TLS, one server per workspace, one service alone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from simpletuner.libs.net import free_port, wait_for_port
from simpletuner.libs.testing.nats import NatsServer
from simpletuner.libs.testing.stack import database_env, isolated_env, running_stack, server_command


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie waiting for its parent counts as gone
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_sigterm_stops_every_process_within_ten_seconds(tmp_path: Path, new_database: Callable[[], str | None]) -> None:
    with running_stack(tmp_path, env=database_env(new_database())) as stack:
        pids = list(stack.state["pids"].values())
        assert len(pids) == 6 and all(_alive(pid) for pid in pids)  # nats, four services, gateway
        started = time.monotonic()
        exit_code = stack.stop(timeout=10)
        elapsed = time.monotonic() - started
    assert exit_code == 0
    assert elapsed < 10
    assert not [pid for pid in pids if _alive(pid)]
    assert not (tmp_path / "private" / "run" / "stack.json").exists()


def test_children_die_with_a_launcher_that_is_killed_outright(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        pids = list(stack.state["pids"].values())
        stack.process.kill()
        stack.process.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)]


def test_ssl_serves_https_with_a_self_signed_certificate_made_once(tmp_path: Path) -> None:
    cert = tmp_path / "private" / "tls" / "server.crt"
    with running_stack(tmp_path, "--ssl", tls=True) as stack, stack.http() as http:
        assert stack.url.startswith("https://")
        assert http.get("/api/health").status_code == 200
        assert "is ready at https://127.0.0.1:" in stack.output()
    first = cert.read_bytes()
    with running_stack(tmp_path, "--ssl", tls=True) as stack, stack.http() as http:
        assert http.get("/api/health").status_code == 200
    assert cert.read_bytes() == first


def test_a_second_server_on_the_same_workspace_is_refused(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        second = subprocess.run(
            server_command("--port", str(free_port())),
            env=isolated_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"pid {stack.process.pid}" in second.stderr and "SIMPLETUNER_WORKSPACE" in second.stderr


def test_one_service_runs_alone_from_its_variables_and_stops_on_sigterm(
    tmp_path: Path, nats_server: NatsServer, database_url: str | None
) -> None:
    port = free_port()
    env = isolated_env(tmp_path, {"SIMPLETUNER_NATS_URL": nats_server.url, "SIMPLETUNER_AUTH_PORT": str(port)})
    if database_url:
        env["SIMPLETUNER_AUTH_DATABASE_URL"] = database_url
    probe = [str(Path(sys.executable).parent / "simpletuner"), "probe"]
    command = [str(Path(sys.executable).parent / "simpletuner"), "serve", "auth"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert asyncio.run(wait_for_port("127.0.0.1", port, 30)), "auth did not start listening"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        assert subprocess.run([*probe, "auth"], env=env, timeout=30).returncode == 0
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert subprocess.run([*probe, "auth"], env=env, timeout=30).returncode == 1
    assert '"service": "auth"' in output and "auth stopping" in output


def test_a_service_stopping_together_with_its_bus_still_exits(tmp_path: Path) -> None:
    """Both get SIGTERM at once (as when the launcher dies): the service must not hang on the lost bus."""
    from simpletuner.libs.testing.nats import running_nats_server

    port = free_port()
    with running_nats_server() as bus:
        env = isolated_env(tmp_path, {"SIMPLETUNER_NATS_URL": bus.url, "SIMPLETUNER_AUTH_PORT": str(port)})
        command = [str(Path(sys.executable).parent / "simpletuner"), "serve", "auth"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        assert asyncio.run(wait_for_port("127.0.0.1", port, 30))
        time.sleep(0.5)
        bus.process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
