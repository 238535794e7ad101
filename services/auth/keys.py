"""The auth service's secrets, created once per workspace: token-signing key pair, service secret, audit key and
the key that encrypts users' Hub tokens."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.fernet import Fernet

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
    if not settings.hub_token_key and not hub_token_key_file(settings).exists():
        write_private(hub_token_key_file(settings), Fernet.generate_key())


def audit_key(settings: AuthSettings) -> bytes:
    """The audit chain's HMAC key: SIMPLETUNER_AUTH_AUDIT_KEY, else the workspace's key file."""
    return (settings.audit_key or audit_key_file(settings).read_text().strip()).encode()


def audit_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("audit-key")


def hub_token_key(settings: AuthSettings) -> bytes:
    """The Fernet key of stored Hub tokens: SIMPLETUNER_AUTH_HUB_TOKEN_KEY (shared by every auth replica), else the
    workspace's key file."""
    return (settings.hub_token_key or hub_token_key_file(settings).read_text().strip()).encode()


def hub_token_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("hub-token-key")


def private_key_file(settings: AuthSettings) -> Path:
    return settings.stack.token_public_key_file.with_name("token-private.pem")
