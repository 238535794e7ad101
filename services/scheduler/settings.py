"""Settings of the scheduler service (env prefix SIMPLETUNER_SCHEDULER_)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class SchedulerSettings(ServiceSettings):
    """Where the scheduler service listens, how it ages waiting jobs and how often it looks again."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_SCHEDULER_", extra="ignore")
    service_name: ClassVar[str] = "scheduler"

    port: int = DEFAULT_PORTS["scheduler"]
    # a waiting job gains one priority level per this many seconds (up to urgent): starvation prevention
    aging_seconds: float = Field(default=1800.0, ge=0)
    # a job waiting this long that cannot fit holds the GPUs it needs as they free up
    reserve_after_seconds: float = Field(default=3600.0, ge=0)
    # recent GPU use that fair share compares teams by
    fair_share_window_hours: float = Field(default=24.0, gt=0)
    # the queue is looked at again this often even without a wake-up (aging, a missed event)
    dispatch_interval_seconds: float = Field(default=5.0, gt=0)
    # a run the trainer does not know after this long is handed to it again
    start_grace_seconds: float = Field(default=30.0, gt=0)
    # what one GPU-hour costs, for spend quotas and cost estimates (0: spend is not counted)
    gpu_hour_rate: float = Field(default=0.0, ge=0)
    # the estimate of a job's duration when its submission gives none
    default_job_hours: float = Field(default=1.0, gt=0)
    # a job waiting for approval is rejected after this long without a decision
    approval_expire_hours: float = Field(default=72.0, gt=0)
    # a worker's lease on its job lasts this long unless its heartbeat renews it; then the job queues again
    lease_seconds: float = Field(default=90.0, gt=0)
