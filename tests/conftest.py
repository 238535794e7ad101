"""Fixtures shared by every test: a real NATS server and the database URL to test against."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from simpletuner.libs.testing.database import temporary_postgres_database
from simpletuner.libs.testing.nats import NatsServer, running_nats_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Tests that use no database (the engine, webhooks) or do not depend on which (the browser): CI runs them once.
NO_DATABASE_TESTS = (
    "tests/unit/trainer/",
    "tests/unit/notify/",
    "tests/integration/test_training_engine.py",
    "tests/integration/test_tiny_demo.py",
    "tests/browser/",  # the browser sees the same pages whichever database is behind them
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix().startswith(NO_DATABASE_TESTS):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    with running_nats_server() as server:
        yield server


@pytest.fixture(scope="session")
def new_database() -> Iterator[Callable[[], str | None]]:
    """Makes an empty database per call (each stack gets its own); all are dropped at the end.

    Without SIMPLETUNER_TEST_DATABASE_URL it returns None: services then use their own SQLite files.
    """
    server_url = os.environ.get("SIMPLETUNER_TEST_DATABASE_URL")
    if not server_url:
        yield lambda: None
        return
    with ExitStack() as databases:
        yield lambda: databases.enter_context(temporary_postgres_database(server_url))


@pytest.fixture(scope="session")
def database_url(new_database: Callable[[], str | None]) -> str | None:
    """One database shared by the tests that only migrate or read it."""
    return new_database()
