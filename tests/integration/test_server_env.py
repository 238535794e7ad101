"""`simpletuner server --env NAME`: the environment is validated against the running stack and its training starts."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simpletuner.libs.net import free_port
from simpletuner.libs.testing.stack import create_first_admin, database_env, isolated_env, running_stack, server_command

pytestmark = pytest.mark.slow


def test_an_environment_that_does_not_exist_stops_the_server_with_the_reason(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    command = server_command("--host", "127.0.0.1", "--port", str(free_port()), "--env", "nowhere")
    env = isolated_env(tmp_path, database_env(new_database()))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--env nowhere" in result.stderr and "nowhere" in result.stderr.split("--env nowhere", 1)[1]


def test_the_named_environment_trains_once_the_server_is_ready(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    env = database_env(new_database())
    with running_stack(tmp_path, env=env) as stack:
        admin = create_first_admin(stack)
        with stack.http(headers=admin.headers) as http:
            http.post("/api/configs/environments", json={"name": "demo", "example": "tiny-demo"}).raise_for_status()
            config = http.get("/api/configs/demo").json()["config"] | {"--max_train_steps": 3}
            http.put("/api/configs/demo", json={"name": "demo", "config": config}).raise_for_status()
    with running_stack(tmp_path, "--env", "demo", env=env) as stack:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"Training demo: job (\w+)", stack.output())):
            assert time.monotonic() < deadline, stack.output()
            time.sleep(0.2)
        job_id = found.group(1)
        with stack.http(headers=admin.headers) as http:
            deadline = time.monotonic() + 240
            while (status := http.get("/api/training/status", params={"job_id": job_id}).json())["status"] not in (
                "completed",
                "failed",
            ):
                assert time.monotonic() < deadline, status
                time.sleep(0.5)
    assert status["status"] == "completed", status
    assert status["job_info"]["environment"] == "demo" and status["progress"]["step"] == 3
