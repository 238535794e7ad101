"""Each service's migrations build exactly its models' tables, in its own version table, idempotently."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import Migrations, current_revision, upgrade_to_head
from simpletuner.libs.settings import SERVICES


def migrations_of(service: str) -> Migrations:
    return importlib.import_module(f"simpletuner.services.{service}.models").MIGRATIONS  # type: ignore[no-any-return]


@pytest.fixture
def database(tmp_path: Path, database_url: str | None) -> Database:
    return Database(database_url or f"sqlite:///{tmp_path / 'test.db'}")


@pytest.mark.parametrize("service", SERVICES)
def test_migrating_a_fresh_database_matches_the_models(service: str, database: Database) -> None:
    migrations = migrations_of(service)
    revision = upgrade_to_head(database, migrations)
    assert revision.startswith(f"{service}_")
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "version_table": migrations.version_table,
                "include_name": lambda name, kind, _p: kind != "table" or migrations.owns(name or ""),
            },
        )
        assert compare_metadata(ctx, migrations.metadata) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrating_twice_changes_nothing(service: str, database: Database) -> None:
    migrations = migrations_of(service)
    first = upgrade_to_head(database, migrations)
    assert upgrade_to_head(database, migrations) == first == current_revision(database, migrations)


def test_services_sharing_one_database_keep_their_own_tables_and_versions(database: Database) -> None:
    for service in SERVICES:
        upgrade_to_head(database, migrations_of(service))
    tables = set(inspect(database.engine).get_table_names())
    for service in SERVICES:
        migrations = migrations_of(service)
        assert migrations.version_table in tables
        assert set(migrations.metadata.tables) <= tables
        assert all(migrations.owns(name) for name in migrations.metadata.tables)
        assert current_revision(database, migrations).startswith(f"{service}_")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_a_database_that_cannot_be_reached_reports_why(tmp_path: Path) -> None:
    database = Database("postgresql://nobody@127.0.0.1:1/none")
    assert database.ping() != ""
