"""Settings of the trainer service (env prefix SIMPLETUNER_TRAINER_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class TrainerSettings(ServiceSettings):
    """Where the trainer service listens and which database it uses."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_TRAINER_", extra="ignore")
    service_name: ClassVar[str] = "trainer"

    port: int = DEFAULT_PORTS["trainer"]
