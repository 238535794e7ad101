"""Fixtures shared by every test: a real NATS server and the database URL to test against."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from simpletuner.libs.testing.database import temporary_postgres_database
from simpletuner.libs.testing.nats import NatsServer, running_nats_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    with running_nats_server() as server:
        yield server


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    """None: each service uses its own SQLite file. Set SIMPLETUNER_TEST_DATABASE_URL to test on PostgreSQL."""
    server_url = os.environ.get("SIMPLETUNER_TEST_DATABASE_URL")
    if not server_url:
        yield None
        return
    with temporary_postgres_database(server_url) as url:
        yield url
