"""Tables owned by the trainer service (every name starts with `trainer_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations


class Base(DeclarativeBase):
    """Declarative base of the trainer service's tables."""


class Run(Base):
    """One execution of a job on this machine: a training process."""

    __tablename__ = "trainer_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int | None] = mapped_column(Integer)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


MIGRATIONS = Migrations(service="trainer", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
