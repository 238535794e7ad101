"""Tables owned by the trainer service (every name starts with `trainer_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations


class Base(DeclarativeBase):
    """Declarative base of the trainer service's tables."""


class Run(Base):
    """One execution of a job on this machine: a training process, and the last state it reported."""

    __tablename__ = "trainer_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int | None] = mapped_column(Integer)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # who and what
    owner_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    environment: Mapped[str] = mapped_column(String(255), default="")
    model_family: Mapped[str] = mapped_column(String(64), default="")
    config_json: Mapped[str] = mapped_column(Text, default="{}")
    run_dir: Mapped[str] = mapped_column(Text, default="")
    output_dir: Mapped[str] = mapped_column(Text, default="")
    # the process (its start time tells a re-used pid from ours after a service restart)
    process_start: Mapped[float | None] = mapped_column(Float)
    # where the scheduler placed it: its GPU indices ("0,1"; empty on a CPU node) and the job's attempt
    devices: Mapped[str] = mapped_column(String(255), default="")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    # the last state the run reported
    message: Mapped[str] = mapped_column(Text, default="")
    log_tail: Mapped[str] = mapped_column(Text, default="")
    progress_json: Mapped[str] = mapped_column(Text, default="")
    stages_json: Mapped[str] = mapped_column(Text, default="[]")


MIGRATIONS = Migrations(service="trainer", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
