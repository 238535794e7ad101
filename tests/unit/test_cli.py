"""The `simpletuner` command line: documented flags, env defaults, clear errors, self-signed TLS."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simpletuner.libs.cli.main import build_parser
from simpletuner.libs.cli.tls import ensure_self_signed
from simpletuner.libs.testing.stack import isolated_env, server_command


def test_server_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIMPLETUNER_HOST", raising=False)
    monkeypatch.delenv("SIMPLETUNER_PORT", raising=False)
    args = build_parser().parse_args(["server"])
    assert (args.host, args.port, args.ssl, args.env) == ("0.0.0.0", 8001, False, None)


def test_server_host_and_port_fall_back_to_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLETUNER_HOST", "127.0.0.1")
    monkeypatch.setenv("SIMPLETUNER_PORT", "8080")
    args = build_parser().parse_args(["server"])
    assert (args.host, args.port) == ("127.0.0.1", 8080)
    assert build_parser().parse_args(["server", "--port", "9"]).port == 9


def test_the_seeds_server_command_line_parses() -> None:
    args = build_parser().parse_args(["server", "--ssl", "--port", "8080", "--env", "my-training-config"])
    assert (args.ssl, args.port, args.env) == (True, 8080, "my-training-config")


def test_serve_accepts_each_service_and_refuses_others() -> None:
    for name in ("auth", "config", "scheduler", "trainer", "gateway"):
        assert build_parser().parse_args(["serve", name]).service == name
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "nats"])


def _run_server(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(server_command(*args), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)


def test_a_certificate_without_its_key_is_refused_with_the_fix(tmp_path: Path) -> None:
    result = _run_server(tmp_path, "--ssl-cert", str(tmp_path / "c.pem"))
    assert result.returncode == 2
    assert "--ssl-cert and --ssl-key go together" in result.stderr


def test_a_missing_certificate_file_is_named(tmp_path: Path) -> None:
    result = _run_server(tmp_path, "--ssl-cert", str(tmp_path / "c.pem"), "--ssl-key", str(tmp_path / "k.pem"))
    assert result.returncode == 2
    assert f"TLS file not found: {tmp_path / 'c.pem'}" in result.stderr


def test_a_port_in_use_is_named_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run_server(tmp_path, "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} is already in use" in result.stderr


def test_the_self_signed_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path / "tls")
    first = cert.read_bytes()
    assert ensure_self_signed(tmp_path / "tls") == (cert, key)
    assert cert.read_bytes() == first
    assert key.stat().st_mode & 0o077 == 0


def test_simpletuner_is_an_installed_command() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "simpletuner"), "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and "server" in result.stdout and "serve" in result.stdout
