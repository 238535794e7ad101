"""Tables owned by the config service (every name starts with `config_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations
from simpletuner.libs.db.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of the config service's tables."""


class WorkspaceSetting(Base):
    """A workspace-wide setting (for example the active environment), stored as JSON text."""

    __tablename__ = "config_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


MIGRATIONS = Migrations(service="config", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
