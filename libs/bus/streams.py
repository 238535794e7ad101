"""The one catalogue of JetStream streams, and their idempotent creation at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from simpletuner.libs.bus.subjects import ROOT

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Stream:
    """A durable stream: what it captures and how long it keeps it."""

    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_seconds: float
    duplicate_window_seconds: float = 120.0

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            description=self.description,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=self.max_age_seconds,
            duplicate_window=self.duplicate_window_seconds,
        )


SYSTEM = Stream(
    name="SIMPLETUNER_SYSTEM",
    subjects=(f"{ROOT}.system.>",),
    description="Service lifecycle and other system-wide events.",
    max_age_seconds=7 * DAY_SECONDS,
)

AUDIT = Stream(
    name="SIMPLETUNER_AUDIT",
    subjects=(f"{ROOT}.audit.>",),
    description="Every audit log entry, for SIEMs, Slack and other subscribers.",
    max_age_seconds=365 * DAY_SECONDS,
)

TRAINING = Stream(
    name="SIMPLETUNER_TRAINING",
    subjects=(f"{ROOT}.training.>",),
    description="Every event of every training job: status, stages, progress, checkpoints, images, logs.",
    max_age_seconds=30 * DAY_SECONDS,
)

JOBS = Stream(
    name="SIMPLETUNER_JOBS",
    subjects=(f"{ROOT}.jobs.>",),
    description="Every state change of every queued job, for dashboards, notifiers and the audit trail.",
    max_age_seconds=90 * DAY_SECONDS,
)

CATALOGUE: tuple[Stream, ...] = (SYSTEM, AUDIT, TRAINING, JOBS)


async def ensure_streams(js: JetStreamContext) -> None:
    """Create every stream, or bring an existing one to its catalogued configuration."""
    for stream in CATALOGUE:
        try:
            await js.add_stream(stream.config())
        except BadRequestError:  # exists with another configuration
            await js.update_stream(stream.config())
