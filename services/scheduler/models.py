"""Tables owned by the scheduler service (every name starts with `scheduler_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations


class Base(DeclarativeBase):
    """Declarative base of the scheduler service's tables."""


class Job(Base):
    """A training job submitted to the queue."""

    __tablename__ = "scheduler_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    config_name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


MIGRATIONS = Migrations(service="scheduler", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
