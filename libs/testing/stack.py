"""The whole stack as a user starts it: `simpletuner server` in a temporary workspace on free ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from simpletuner.libs.net import free_port

READY_TIMEOUT_SECONDS = 90.0


@dataclass
class RunningStack:
    """A started `simpletuner server`: its URL, workspace and launcher process."""

    url: str
    workspace: Path
    process: subprocess.Popen[str]
    output_file: Path
    database_url: str | None = None

    @property
    def state(self) -> dict[str, Any]:
        """The launcher's run/stack.json (addresses and pids)."""
        return dict(json.loads((self.workspace / "private" / "run" / "stack.json").read_text()))

    def output(self) -> str:
        return self.output_file.read_text()

    def http(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=False, **({"timeout": 10} | kwargs))

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM the launcher as Ctrl-C would; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def isolated_env(workspace: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the developer's SIMPLETUNER_* settings, plus the test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SIMPLETUNER_")}
    return {**env, "SIMPLETUNER_WORKSPACE": str(workspace), **(extra or {})}


def database_env(database_url: str | None) -> dict[str, str]:
    """Point every service at one shared database, or leave each on its own SQLite file (None)."""
    return {"SIMPLETUNER_DATABASE_URL": database_url} if database_url else {}


def server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simpletuner.libs.cli.main", "server", *args]


@contextmanager
def running_stack(
    workspace: Path, *args: str, env: dict[str, str] | None = None, tls: bool = False
) -> Iterator[RunningStack]:
    """Start the stack with `args`, wait until it prints its URL, and stop it afterwards."""
    port = free_port()
    workspace.mkdir(parents=True, exist_ok=True)
    output_file = workspace / "server-output.txt"
    child_env = isolated_env(workspace, env)
    with output_file.open("w") as output:
        process = subprocess.Popen(
            server_command("--host", "127.0.0.1", "--port", str(port), *args),
            env=child_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    scheme = "https" if tls else "http"
    stack = RunningStack(
        f"{scheme}://127.0.0.1:{port}", workspace, process, output_file, child_env.get("SIMPLETUNER_DATABASE_URL")
    )
    try:
        _wait_until_ready(stack)
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_ready(stack: RunningStack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while "is ready at" not in stack.output():
        if stack.process.poll() is not None:
            raise RuntimeError(f"simpletuner server exited with {stack.process.returncode}:\n{stack.output()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"simpletuner server not ready after {READY_TIMEOUT_SECONDS}s:\n{stack.output()}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Account:
    """A user created in a running stack, with an API key for scripted calls."""

    user_id: str
    username: str
    password: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def create_first_admin(stack: RunningStack, username: str = "admin", password: str = "admin-password") -> Account:
    """The seeds' first-run flow: create the administrator, then an API key with their session."""
    with stack.http() as http:
        reply = http.post(
            "/api/cloud/auth/setup/first-admin",
            json={"email": f"{username}@example.com", "username": username, "password": password},
        )
        reply.raise_for_status()
        key = http.post("/api/cloud/auth/api-keys", json={"name": "tests"})
        key.raise_for_status()
    return Account(reply.json()["user"]["id"], username, password, key.json()["key"])


def create_account(stack: RunningStack, admin: Account, username: str, levels: list[str]) -> Account:
    """A user with `levels`, signed in once to make their own API key (or no key if they may not)."""
    password = f"{username}-password"
    with stack.http() as http:
        created = http.post(
            "/api/users",
            headers=admin.headers,
            json={
                "email": f"{username}@example.com",
                "username": username,
                "password": password,
                "level_names": levels,
            },
        )
        created.raise_for_status()
        http.post("/api/auth/login", json={"username": username, "password": password}).raise_for_status()
        key = http.post("/api/auth/api-keys", json={"name": "tests"})
    api_key = key.json()["key"] if key.status_code == 200 else ""
    return Account(created.json()["id"], username, password, api_key)
