"""Reporting refused RPCs to the audit log: a direct gRPC call without a valid identity is a security event."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from simpletuner.api.auth.v1 import auth_pb2


@dataclass(frozen=True)
class Denial:
    """One refused call: which method, why, and who asked."""

    method: str
    code: grpc.StatusCode
    message: str
    caller_id: str
    caller_username: str
    client_ip: str

    def audit_event(self, service: str) -> auth_pb2.AuditEvent:
        kind = "unauthenticated" if self.code == grpc.StatusCode.UNAUTHENTICATED else "permission_denied"
        return auth_pb2.AuditEvent(
            event_type=f"security.{kind}",
            actor_id=self.caller_id,
            actor_username=self.caller_username,
            actor_ip=self.client_ip,
            target_type="rpc",
            target_id=self.method[:100],
            details_json=json.dumps({"service": service, "reason": self.message}),
        )


DenialHandler = Callable[[Denial], None]
