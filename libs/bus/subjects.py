"""The one catalogue of NATS subjects SimpleTuner publishes on (a public contract: see protos/SUBJECTS.md)."""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "simpletuner"


@dataclass(frozen=True)
class Subject:
    """A family of subjects: its pattern (with <placeholders>), the Event payloads it carries, and why."""

    pattern: str
    payloads: tuple[str, ...]
    description: str

    def render(self, **parts: str) -> str:
        """The concrete subject with its placeholders filled in."""
        subject = self.pattern
        for name, value in parts.items():
            if not value or any(c in value for c in ". *>"):
                raise ValueError(f"subject token {name}={value!r} must be non-empty without '.', ' ', '*' or '>'")
            subject = subject.replace(f"<{name}>", value)
        if "<" in subject:
            raise ValueError(f"unfilled placeholder in {subject!r}")
        return subject

    @property
    def wildcard(self) -> str:
        """The pattern with every placeholder as a `*` wildcard, for subscriptions."""
        return ".".join("*" if token.startswith("<") else token for token in self.pattern.split("."))


SERVICE_STATE = Subject(
    pattern=f"{ROOT}.system.services.<service>.state",
    payloads=("service_state_changed",),
    description="A service instance started serving or began to stop.",
)

AUDIT = Subject(
    pattern=f"{ROOT}.audit.<category>",
    payloads=("audit_recorded",),
    description="An audit log entry; <category> is its type's first part (auth, user, api_key, security...).",
)

TRAINING = Subject(
    pattern=f"{ROOT}.training.<job_id>.<kind>",
    payloads=(
        "training_status_changed",
        "training_stage_changed",
        "training_progress",
        "training_checkpoint_saved",
        "validation_image",
        "training_log",
    ),
    description="An event of one training job; <kind> is status, stage, progress, checkpoint, validation or log.",
)

# The <kind> token of TRAINING for each payload it carries.
TRAINING_KINDS = {
    "training_status_changed": "status",
    "training_stage_changed": "stage",
    "training_progress": "progress",
    "training_checkpoint_saved": "checkpoint",
    "validation_image": "validation",
    "training_log": "log",
}


def training_subject(job_id: str, payload: str) -> str:
    """The subject a training event with this payload field is published on."""
    return TRAINING.render(job_id=job_id, kind=TRAINING_KINDS[payload])


def training_job_filter(job_id: str) -> str:
    """A subscription filter for every event of one job."""
    return TRAINING.render(job_id=job_id, kind="x")[: -len("x")] + ">"


def training_status_filter() -> str:
    """A subscription filter for the status changes of every job."""
    return TRAINING.render(job_id="x", kind=TRAINING_KINDS["training_status_changed"]).replace(".x.", ".*.")


JOB_STATE = Subject(
    pattern=f"{ROOT}.jobs.<job_id>.state",
    payloads=("job_state_changed",),
    description="A queued job changed state (queued, running, ended, re-queued) or priority; the scheduler's log.",
)


def job_state_subject(job_id: str) -> str:
    """The subject a job's state changes are published on."""
    return JOB_STATE.render(job_id=job_id)


CATALOGUE: tuple[Subject, ...] = (SERVICE_STATE, AUDIT, TRAINING, JOB_STATE)
