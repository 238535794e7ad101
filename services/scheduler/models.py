"""Tables owned by the scheduler service (every name starts with `scheduler_`)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simpletuner.libs.db.migrations import Migrations
from simpletuner.libs.db.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of the scheduler service's tables."""


class Job(Base):
    """A training job: what it trains for whom, where it may run, and where it is in its life."""

    __tablename__ = "scheduler_jobs"
    __table_args__ = (
        UniqueConstraint("owner_id", "request_id", name="uq_scheduler_jobs_owner_request"),
        Index("ix_scheduler_jobs_status_submitted", "status", "submitted_at"),
        Index("ix_scheduler_jobs_updated", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(128))
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    team_key: Mapped[str] = mapped_column(String(80), default="")  # "team:<id>", or "user:<id>" without a team
    config_name: Mapped[str] = mapped_column(String(255), default="")
    model_family: Mapped[str] = mapped_column(String(64), default="")
    config_json: Mapped[str] = mapped_column(Text, default="{}")
    configs_dir: Mapped[str] = mapped_column(Text, default="")
    # the queue
    status: Mapped[str] = mapped_column(String(32))
    base_priority: Mapped[int] = mapped_column(Integer, default=10)
    priority_override: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(16), default="auto")
    worker_labels_json: Mapped[str] = mapped_column(Text, default="{}")
    any_gpu: Mapped[bool] = mapped_column(Boolean, default=False)
    gpu_count: Mapped[int] = mapped_column(Integer, default=0)
    estimated_cost: Mapped[float] = mapped_column(Float, default=0.0)
    preferred_gpus: Mapped[str] = mapped_column(String(255), default="")  # "0,1"
    # where and how it runs
    allocated_gpus: Mapped[str] = mapped_column(String(255), default="")
    placement: Mapped[str] = mapped_column(String(255), default="")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    approval_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # while pending approval
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # while a worker runs it
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApprovalRule(Base):
    """A condition that makes matching jobs wait for an approver (leads and admins) before they queue."""

    __tablename__ = "scheduler_approval_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    condition: Mapped[str] = mapped_column(String(32))  # cost_exceeds, gpus_exceed, first_job, config_pattern
    threshold: Mapped[float] = mapped_column(Float, default=0.0)
    pattern: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Worker(Base):
    """A remote machine that takes jobs under a lease; it proves itself with a token kept only as a hash."""

    __tablename__ = "scheduler_workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    worker_type: Mapped[str] = mapped_column(String(16), default="persistent")
    labels_json: Mapped[str] = mapped_column(Text, default="{}")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="connecting")
    gpu_name: Mapped[str] = mapped_column(String(255), default="")
    gpu_count: Mapped[int] = mapped_column(Integer, default=0)
    current_job_id: Mapped[str] = mapped_column(String(36), default="")
    last_heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueSetting(Base):
    """One scheduler setting changed through the API (the concurrency limits), as JSON."""

    __tablename__ = "scheduler_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)


MIGRATIONS = Migrations(service="scheduler", directory=Path(__file__).parent / "migrations", metadata=Base.metadata)
