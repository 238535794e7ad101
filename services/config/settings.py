"""Settings of the config service (env prefix SIMPLETUNER_CONFIG_)."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings

MIB = 1024**2
GIB = 1024**3


class ConfigSettings(ServiceSettings):
    """Where the config service listens, and the workspace folders it owns (default: inside the workspace)."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_CONFIG_", extra="ignore")
    service_name: ClassVar[str] = "config"

    port: int = DEFAULT_PORTS["config"]
    # the folders' defaults; an administrator may move them while the service runs (see workspace_settings)
    configs_dir: Path | None = None
    datasets_dir: Path | None = None
    output_dir: Path | None = None
    # upload limits: what one uploaded file, and one ZIP archive once extracted, may hold
    upload_max_file_bytes: int = Field(default=500 * MIB, gt=0)
    upload_max_archive_entries: int = Field(default=100_000, gt=0)
    upload_max_extracted_bytes: int = Field(default=10 * GIB, gt=0)
    upload_max_compression_ratio: int = Field(default=200, gt=0)

    @property
    def effective_configs_dir(self) -> Path:
        return (self.configs_dir or self.stack.workspace / "configs").expanduser().resolve()

    @property
    def effective_datasets_dir(self) -> Path:
        return (self.datasets_dir or self.stack.workspace / "datasets").expanduser().resolve()

    @property
    def effective_output_dir(self) -> Path:
        return (self.output_dir or self.stack.workspace / "output").expanduser().resolve()
