"""Settings every process shares, read from SIMPLETUNER_* environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("auth", "config", "scheduler", "trainer")
DEFAULT_PORTS = {"auth": 50051, "config": 50052, "scheduler": 50053, "trainer": 50054}
GATEWAY_DEFAULT_PORT = 8001


class StackSettings(BaseSettings):
    """Where the shared parts of the stack live: workspace, bus, database and each service's address."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_", extra="ignore")

    workspace: Path = Path("~/.simpletuner")
    nats_url: str | None = None
    database_url: str | None = None
    log_level: str = "INFO"
    service_secret: str | None = None
    auth_address: str = f"127.0.0.1:{DEFAULT_PORTS['auth']}"
    config_address: str = f"127.0.0.1:{DEFAULT_PORTS['config']}"
    scheduler_address: str = f"127.0.0.1:{DEFAULT_PORTS['scheduler']}"
    trainer_address: str = f"127.0.0.1:{DEFAULT_PORTS['trainer']}"

    @field_validator("workspace")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def private_dir(self) -> Path:
        """State that is not the user's files: databases, NATS store, keys, TLS, logs."""
        return self.workspace / "private"

    @property
    def token_public_key_file(self) -> Path:
        """The auth service's token-signing public key, which every service verifies callers with."""
        return self.private_dir / "keys" / "token-public.pem"

    @property
    def service_secret_file(self) -> Path:
        """The shared secret services exchange for their service tokens (made by auth on first start)."""
        return self.private_dir / "keys" / "service-secret"

    def load_service_secret(self) -> str:
        """SIMPLETUNER_SERVICE_SECRET, else the workspace's secret file (clear error when neither exists)."""
        if self.service_secret:
            return self.service_secret
        if self.service_secret_file.exists():
            return self.service_secret_file.read_text().strip()
        raise RuntimeError(
            f"no service secret: set SIMPLETUNER_SERVICE_SECRET or start the auth service once on this "
            f"workspace (it creates {self.service_secret_file})"
        )

    def address_of(self, service: str) -> str:
        """Where clients reach `service` (host:port)."""
        return str(getattr(self, f"{service}_address"))

    def require_nats_url(self) -> str:
        """The bus URL, or a clear error when a service is started without one."""
        if not self.nats_url:
            raise SystemExit(
                "SIMPLETUNER_NATS_URL is not set. Start the whole stack with `simpletuner server` (it embeds "
                "a NATS server), or point SIMPLETUNER_NATS_URL at a NATS server running with JetStream (-js)."
            )
        return self.nats_url


class ServiceSettings(BaseSettings):
    """Base of each gRPC service's settings (env prefix SIMPLETUNER_<SERVICE>_)."""

    service_name: ClassVar[str]

    host: str = "127.0.0.1"
    port: int = 0
    database_url: str | None = None
    shutdown_grace_seconds: float = 5.0
    stack: StackSettings = Field(default_factory=StackSettings)

    def effective_database_url(self) -> str:
        """This service's own URL, else the stack's shared one, else a SQLite file in the workspace."""
        if self.database_url:
            return self.database_url
        if self.stack.database_url:
            return self.stack.database_url
        return f"sqlite:///{self.stack.private_dir / 'db' / f'{self.service_name}.db'}"
