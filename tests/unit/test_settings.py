"""Settings come from SIMPLETUNER_* variables, with per-service overrides and workspace defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpletuner.libs.settings import StackSettings
from simpletuner.services.auth.settings import AuthSettings
from simpletuner.services.gateway.settings import GatewaySettings
from simpletuner.services.scheduler.settings import SchedulerSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("SIMPLETUNER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SIMPLETUNER_WORKSPACE", str(tmp_path))


def test_each_service_defaults_to_its_own_sqlite_file_in_the_private_workspace(tmp_path: Path) -> None:
    assert AuthSettings().effective_database_url() == f"sqlite:///{tmp_path}/private/db/auth.db"
    assert SchedulerSettings().effective_database_url() == f"sqlite:///{tmp_path}/private/db/scheduler.db"


def test_the_shared_database_url_applies_to_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLETUNER_DATABASE_URL", "postgresql://db/shared")
    assert AuthSettings().effective_database_url() == "postgresql://db/shared"
    assert SchedulerSettings().effective_database_url() == "postgresql://db/shared"


def test_a_service_database_url_overrides_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLETUNER_DATABASE_URL", "postgresql://db/shared")
    monkeypatch.setenv("SIMPLETUNER_AUTH_DATABASE_URL", "postgresql://db/auth")
    assert AuthSettings().effective_database_url() == "postgresql://db/auth"
    assert SchedulerSettings().effective_database_url() == "postgresql://db/shared"


def test_service_ports_and_addresses_come_from_their_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLETUNER_AUTH_PORT", "6001")
    monkeypatch.setenv("SIMPLETUNER_AUTH_ADDRESS", "auth:6001")
    assert AuthSettings().port == 6001
    assert StackSettings().address_of("auth") == "auth:6001"
    assert SchedulerSettings().port == 50053


def test_the_gateway_reads_the_documented_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (GatewaySettings().host, GatewaySettings().port) == ("0.0.0.0", 8001)
    monkeypatch.setenv("SIMPLETUNER_HOST", "127.0.0.1")
    monkeypatch.setenv("SIMPLETUNER_PORT", "9000")
    assert (GatewaySettings().host, GatewaySettings().port) == ("127.0.0.1", 9000)


def test_the_workspace_expands_the_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMPLETUNER_WORKSPACE", "~/st-workspace")
    assert StackSettings().workspace == Path("~/st-workspace").expanduser().resolve()


def test_a_service_without_a_bus_url_says_how_to_get_one() -> None:
    with pytest.raises(SystemExit, match="simpletuner server"):
        StackSettings().require_nats_url()
