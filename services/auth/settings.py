"""Settings of the auth service (env prefix SIMPLETUNER_AUTH_)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from simpletuner.libs.settings import DEFAULT_PORTS, ServiceSettings


class AuthSettings(ServiceSettings):
    """Where the auth service listens and which database it uses."""

    model_config = SettingsConfigDict(env_prefix="SIMPLETUNER_AUTH_", extra="ignore")
    service_name: ClassVar[str] = "auth"

    port: int = DEFAULT_PORTS["auth"]
    audit_key: str | None = None
    hub_token_key: str | None = None  # a Fernet key; every auth replica needs the same one
