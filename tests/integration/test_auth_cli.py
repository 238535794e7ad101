"""`simpletuner auth` as an operator runs it: users and API keys made from a shell, before and while the server runs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from simpletuner.libs.testing.stack import database_env, isolated_env, running_stack

COMMAND = str(Path(sys.executable).parent / "simpletuner")
KEY = re.compile(r"st_[A-Za-z0-9]{32}")
PASSWORD = "cli-password-1"


def auth(
    workspace: Path, env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `simpletuner auth ARGS` in the workspace, as a script would."""
    return subprocess.run(
        [COMMAND, "auth", *args],
        env=isolated_env(workspace, env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_user(workspace: Path, env: dict[str, str], username: str, *levels: str) -> subprocess.CompletedProcess[str]:
    level_args = [arg for level in levels for arg in ("--level", level)]
    email = f"{username}@example.com"
    return auth(
        workspace, env, "create-user", "--username", username, "--email", email, "--password", PASSWORD, *level_args
    )


def create_key(workspace: Path, env: dict[str, str], username: str) -> str:
    made = auth(workspace, env, "create-key", "--username", username, "--name", "scripts")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def login(http: httpx.Client, username: str, password: str) -> int:
    return http.post("/api/auth/login", json={"username": username, "password": password}).status_code


def test_an_admin_and_key_made_before_the_first_start_work_once_the_server_runs(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    env = database_env(new_database())
    made = create_user(tmp_path, env, "root", "admin")
    assert made.returncode == 0, made.stderr
    assert "created user root" in made.stdout and "levels admin" in made.stdout
    key = create_key(tmp_path, env, "root")

    with running_stack(tmp_path, env=env) as stack, stack.http() as http:
        me = http.get("/api/auth/me", headers={"X-API-Key": key})
        assert me.status_code == 200
        assert me.json()["username"] == "root" and me.json()["is_admin"] is True
        assert http.get("/api/cloud/auth/setup/status").json()["needs_setup"] is False


def test_create_key_prints_only_the_key(tmp_path: Path) -> None:
    assert create_user(tmp_path, {}, "scripter").returncode == 0
    made = auth(tmp_path, {}, "create-key", "--username", "scripter", "--name", "nightly", "--expires-days", "30")
    assert made.returncode == 0
    assert KEY.fullmatch(made.stdout.rstrip("\n")) and made.stdout.count("\n") == 1
    assert made.stderr == ""


def test_an_unknown_level_exits_2_naming_the_level(tmp_path: Path) -> None:
    made = create_user(tmp_path, {}, "someone", "wizard")
    assert made.returncode == 2
    assert made.stderr.startswith("simpletuner auth: ") and "wizard" in made.stderr
    assert "Traceback" not in made.stderr


def test_a_taken_username_exits_2(tmp_path: Path) -> None:
    assert create_user(tmp_path, {}, "twin").returncode == 0
    again = auth(
        tmp_path, {}, "create-user", "--username", "twin", "--email", "other@example.com", "--password", PASSWORD
    )
    assert again.returncode == 2
    assert again.stderr.startswith("simpletuner auth: ") and "already exists" in again.stderr


def test_a_key_for_an_unknown_user_exits_2(tmp_path: Path) -> None:
    made = auth(tmp_path, {}, "create-key", "--username", "ghost", "--name", "x")
    assert made.returncode == 2 and "no user named ghost" in made.stderr and made.stdout == ""


def test_list_users_shows_levels_and_whether_active(tmp_path: Path) -> None:
    assert create_user(tmp_path, {}, "root", "admin").returncode == 0
    assert create_user(tmp_path, {}, "watcher", "viewer").returncode == 0
    assert auth(tmp_path, {}, "deactivate", "--username", "watcher").returncode == 0
    rows = [line.split() for line in auth(tmp_path, {}, "list-users").stdout.splitlines()]
    assert rows == [
        ["USERNAME", "EMAIL", "LEVELS", "ACTIVE"],
        ["root", "root@example.com", "admin", "yes"],
        ["watcher", "watcher@example.com", "viewer", "no"],
    ]


def test_the_last_admin_cannot_be_deactivated(tmp_path: Path) -> None:
    assert create_user(tmp_path, {}, "root", "admin").returncode == 0
    made = auth(tmp_path, {}, "deactivate", "--username", "root")
    assert made.returncode == 2 and "no active administrator" in made.stderr


def test_passwords_from_stdin_and_deactivation_take_effect_on_a_running_stack(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    env = database_env(new_database())
    assert create_user(tmp_path, env, "root", "admin").returncode == 0
    with running_stack(tmp_path, env=env) as stack:
        with stack.http() as http:
            new_user = "create-user --username piper --email piper@example.com --password-stdin".split()
            piped = auth(tmp_path, env, *new_user, stdin="piped-password-1\n")
            assert piped.returncode == 0, piped.stderr
            assert login(http, "piper", "piped-password-1") == 200
            new_password = "set-password --username piper --password-stdin".split()
            changed = auth(tmp_path, env, *new_password, stdin="new-pass-22\n")
            assert changed.returncode == 0, changed.stderr
            assert login(http, "piper", "piped-password-1") == 401
            assert login(http, "piper", "new-pass-22") == 200

        with stack.http(headers={"X-API-Key": create_key(tmp_path, env, "piper")}) as api:  # no session cookie
            assert api.get("/api/auth/me").status_code == 200
            assert auth(tmp_path, env, "deactivate", "--username", "piper").returncode == 0
            assert api.get("/api/auth/me").status_code == 401
            assert auth(tmp_path, env, "activate", "--username", "piper").returncode == 0
            assert api.get("/api/auth/me").status_code == 200
