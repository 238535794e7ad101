"""Settings of the config service (env prefix SIMPLETUNER_CONFIG_)."""

from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class ConfigSettings(ServiceSettings):
    """Where the config service listens, and the workspace folders it owns (default: inside the workspace)."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_CONFIG_", extra="ignore")
    service_name: ClassVar[str] = "config"

    port: int = DEFAULT_PORTS["config"]
    configs_dir: Path | None = None
    datasets_dir: Path | None = None

    @property
    def effective_configs_dir(self) -> Path:
        return (self.configs_dir or self.stack.workspace / "configs").expanduser().resolve()

    @property
    def effective_datasets_dir(self) -> Path:
        return (self.datasets_dir or self.stack.workspace / "datasets").expanduser().resolve()
