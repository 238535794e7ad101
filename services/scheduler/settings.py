"""Settings of the scheduler service (env prefix SIMPLETUNER_SCHEDULER_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class SchedulerSettings(ServiceSettings):
    """Where the scheduler service listens and which database it uses."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_SCHEDULER_", extra="ignore")
    service_name: ClassVar[str] = "scheduler"

    port: int = DEFAULT_PORTS["scheduler"]
