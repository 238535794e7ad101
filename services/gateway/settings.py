"""Settings of the gateway (env prefix SIMPLETUNER_, as the seeds document SIMPLETUNER_HOST / SIMPLETUNER_PORT)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from simpletuner.libs.settings import GATEWAY_DEFAULT_PORT, StackSettings


class GatewaySettings(BaseSettings):
    """Where the HTTP API listens, and its TLS certificate when served over HTTPS."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_", extra="ignore")

    host: str = "0.0.0.0"
    port: int = GATEWAY_DEFAULT_PORT
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    rpc_timeout_seconds: float = 10.0
    # a comment line on idle event streams, so proxies and clients know the connection lives
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stack: StackSettings = Field(default_factory=StackSettings)

    @property
    def tls(self) -> bool:
        return self.ssl_certfile is not None
