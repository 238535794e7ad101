"""The auth service's secrets, created once per workspace: token-signing key pair, service secret, audit key."""

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
    if not settings.audit_key and not audit_key_file(settings).exists():
        write_private(audit_key_file(settings), secrets.token_bytes(32).hex().encode())


def audit_key(settings: AuthSettings) -> bytes:
    """The audit chain's HMAC key: SIMPLETUNER_AUTH_AUDIT_KEY, else the workspace's key file."""
    return (settings.audit_key or audit_key_file(settings).read_text().strip()).encode()


def audit_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("audit-key")


def private_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("token-private.pem")
