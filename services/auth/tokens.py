"""Issuing caller tokens: for users (after a session or key is checked) and for services (for the shared secret)."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta

from simpletuner.libs.context import Caller
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import InvalidArgument, Unauthenticated
from simpletuner.libs.rpc.identity import TokenSigner

USER_TOKEN_TTL = timedelta(minutes=5)
SERVICE_TOKEN_TTL = timedelta(minutes=10)
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


class TokenIssuer:
    def __init__(self, private_pem: str, service_secret: str) -> None:
        self._signer = TokenSigner(private_pem)
        self._service_secret = service_secret

    def for_user(self, user_id: str, username: str, permissions: frozenset[str]) -> tuple[str, datetime]:
        who = Caller(subject=user_id, username=username, permissions=permissions)
        return self._signer.issue(who, int(USER_TOKEN_TTL.total_seconds())), utcnow() + USER_TOKEN_TTL

    def for_service(self, service: str, secret: str) -> tuple[str, datetime]:
        if not SERVICE_NAME.match(service):
            raise InvalidArgument("the service name must be lower-case letters, digits or '-'", field="service")
        if not hmac.compare_digest(secret.encode(), self._service_secret.encode()):
            raise Unauthenticated("wrong service secret")
        who = Caller(subject=f"service:{service}", username=service, is_service=True)
        return self._signer.issue(who, int(SERVICE_TOKEN_TTL.total_seconds())), utcnow() + SERVICE_TOKEN_TTL
