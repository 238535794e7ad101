"""Caller identity between services: short-lived ES256 tokens issued by auth, verified offline by everyone."""

from __future__ import annotations

import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import JWTError, jwt

from simpletuner.libs.context import Caller

ALGORITHM = "ES256"
ISSUER = "simpletuner-auth"
AUDIENCE = "simpletuner"
AUTHORIZATION_HEADER = "authorization"


class InvalidToken(Exception):
    """A caller token that is malformed, expired, or not signed by the auth service."""


def ensure_signing_keys(private_file: Path, public_file: Path) -> None:
    """Create the auth service's ES256 key pair once; later calls keep the existing one."""
    if private_file.exists() and public_file.exists():
        return
    public_file.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_private(private_file, private_pem)
    public_file.write_bytes(public_pem)


def write_private(path: Path, data: bytes) -> None:
    """Write a secret readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_bytes(data)
    tmp.replace(path)


class TokenSigner:
    """Issues caller tokens (held by the auth service only)."""

    def __init__(self, private_pem: str) -> None:
        self._key = private_pem

    def issue(self, who: Caller, ttl_seconds: int = 300) -> str:
        now = int(time.time())
        claims = {
            "sub": who.subject,
            "name": who.username,
            "perms": sorted(who.permissions),
            "kind": "service" if who.is_service else "user",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class TokenVerifier:
    """Verifies caller tokens with the auth service's public key, loaded on first use."""

    def __init__(self, public_key_file: Path) -> None:
        self._file = public_key_file
        self._key: str | None = None

    def verify(self, token: str) -> Caller:
        key = self._public_key()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require_exp": True, "require_sub": True},
            )
        except JWTError as exc:
            raise InvalidToken(f"caller token rejected: {exc}") from exc
        return Caller(
            subject=claims["sub"],
            username=claims.get("name", ""),
            permissions=frozenset(claims.get("perms", ())),
            is_service=claims.get("kind") == "service",
        )

    def _public_key(self) -> str:
        if self._key is None:
            if not self._file.exists():
                raise InvalidToken(f"no token verification key at {self._file}; is the auth service running?")
            self._key = self._file.read_text()
        return self._key
