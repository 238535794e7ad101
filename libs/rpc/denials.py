"""Reporting refused RPCs to the audit log: a direct gRPC call without a valid identity is a security event."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import ServiceTokenSource, open_channel
from simpletuner.libs.settings import StackSettings

log = logging.getLogger("simpletuner.rpc.denials")


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


class AuditReporter:
    """Sends denials to the auth service's audit log in the background; never slows or fails the refusal."""

    def __init__(self, service: str, stack: StackSettings) -> None:
        self._service = service
        self._address = stack.address_of("auth")
        self._tokens = ServiceTokenSource(service, self._address, stack.load_service_secret)
        self._channel: grpc.aio.Channel | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def report(self, denial: Denial) -> None:
        task = asyncio.get_running_loop().create_task(self._send(denial))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, denial: Denial) -> None:
        if self._channel is None:
            rules = access_rules(auth_pb2.DESCRIPTOR.services_by_name["AuthService"])
            self._channel = open_channel(self._address, self._tokens, rules)
        request = auth_pb2.RecordAuditEventRequest(event=denial.audit_event(self._service))
        try:
            await auth_pb2_grpc.AuthServiceStub(self._channel).RecordAuditEvent(request, timeout=5)
        except Exception as exc:  # auditing a refusal is best effort; the refusal itself already happened
            log.warning("could not audit a refused call to %s: %s", denial.method, exc)

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._channel is not None:
            await self._channel.close()
