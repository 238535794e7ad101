"""Settings of the trainer service (env prefix SIMPLETUNER_TRAINER_)."""

import re
import socket
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from simpletuner.libs.gpus import parse_declared
from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class TrainerSettings(ServiceSettings):
    """Where the trainer service listens, its GPUs, how many runs it takes at once, and what webhooks may reach."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_TRAINER_", extra="ignore")
    service_name: ClassVar[str] = "trainer"

    port: int = DEFAULT_PORTS["trainer"]
    # a safety cap: the scheduler's local_job_max_concurrent decides how many run
    max_concurrent_runs: int = Field(default=8, ge=1)
    # this machine's GPUs when nvidia-smi should not be asked: "4xA100:40", "A100:40,H100:80", or "none"
    gpus: str = ""
    # webhooks to loopback or private addresses (an SSRF risk on shared servers) only when allowed
    webhook_allow_private_targets: bool = False
    # names this machine's trainer: each one delivers the webhooks of its own runs through its own consumer
    node_name: str = Field(default_factory=socket.gethostname)

    @field_validator("gpus")
    @classmethod
    def _readable_inventory(cls, value: str) -> str:
        if value.strip() and value.strip().lower() != "none":
            parse_declared(value)  # a typo fails at start, with the format to use
        return value

    @property
    def webhook_consumer(self) -> str:
        """A durable consumer name per trainer node (NATS allows no '.', '*', '>' or spaces in it)."""
        return "webhooks-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.node_name)

    @property
    def runs_dir(self) -> Path:
        """Each run's spec, events file and output log (private state, not the user's output_dir)."""
        return self.stack.private_dir / "runs"
