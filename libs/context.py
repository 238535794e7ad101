"""Per-request context (request id, caller) carried in contextvars across RPCs, HTTP handlers and logs."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

REQUEST_ID_HEADER = "x-request-id"
CLIENT_IP_HEADER = "x-client-ip"


@dataclass(frozen=True)
class Caller:
    """Who makes a call, as established by a verified token (or anonymous)."""

    subject: str = ""
    username: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    is_service: bool = False

    @property
    def is_anonymous(self) -> bool:
        return not self.subject

    def holds(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Caller()

request_id: ContextVar[str] = ContextVar("request_id", default="")
# The address of the person behind the request, as the gateway saw it (for rate limits and the audit log).
client_ip: ContextVar[str] = ContextVar("client_ip", default="")
caller: ContextVar[Caller] = ContextVar("caller", default=ANONYMOUS)
# The token that proves `caller` to the next service (set by the gateway for a user's request).
caller_token: ContextVar[str] = ContextVar("caller_token", default="")


def new_request_id() -> str:
    """A fresh id for a request that arrived without one."""
    return uuid.uuid4().hex
