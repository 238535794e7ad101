"""Settings of the config service (env prefix SIMPLETUNER_CONFIG_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class ConfigSettings(ServiceSettings):
    """Where the config service listens and which database it uses."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_CONFIG_", extra="ignore")
    service_name: ClassVar[str] = "config"

    port: int = DEFAULT_PORTS["config"]
