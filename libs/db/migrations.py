"""Runs a service's Alembic revisions programmatically (no alembic.ini, no env.py per service)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

from simpletuner.libs.db.database import Database


@dataclass(frozen=True)
class Migrations:
    """A service's revisions folder, its models' metadata, and its own version table."""

    service: str
    directory: Path
    metadata: MetaData

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.service}"

    def owns(self, table_name: str) -> bool:
        """Whether a table belongs to this service (all its tables share the `<service>_` prefix)."""
        return table_name.startswith(f"{self.service}_")

    def head(self) -> str:
        """The newest revision in the folder (what a migrated database reports)."""
        return str(ScriptDirectory.from_config(self.config()).get_current_head())

    def config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.set_main_option("version_locations", str(self.directory))
        config.set_main_option("path_separator", "os")
        return config


def upgrade_to_head(database: Database, migrations: Migrations) -> str:
    """Apply every pending revision; returns the revision the database is at afterwards."""
    config = migrations.config()
    script = ScriptDirectory.from_config(config)
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # replicas starting together migrate one at a time
            lock_id = zlib.crc32(migrations.version_table.encode())
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        with EnvironmentContext(
            config, script, fn=lambda rev, _ctx: script._upgrade_revs("head", rev), destination_rev="head"
        ) as env:
            env.configure(
                connection=conn,
                target_metadata=migrations.metadata,
                version_table=migrations.version_table,
                include_name=lambda name, kind, _parent: kind != "table" or migrations.owns(name or ""),
            )
            env.run_migrations()
    return current_revision(database, migrations)


def current_revision(database: Database, migrations: Migrations) -> str:
    """The revision recorded in the service's version table ('' before the first migration)."""
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": migrations.version_table})
        return ctx.get_current_revision() or ""
