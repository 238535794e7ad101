"""The auth service's secrets, created once per workspace: the token-signing key pair and the service secret."""

from __future__ import annotations

import secrets
from pathlib import Path

from simpletuner.libs.rpc.identity import ensure_signing_keys, write_private

from .settings import AuthSettings


def ensure_keys(settings: AuthSettings) -> None:
    """Create the ES256 key pair and the shared service secret the first time auth starts in this workspace."""
    stack = settings.stack
    ensure_signing_keys(private_key_file(settings), stack.token_public_key_file)
    if not stack.service_secret and not stack.service_secret_file.exists():
        write_private(stack.service_secret_file, secrets.token_urlsafe(32).encode())


def private_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("token-private.pem")
