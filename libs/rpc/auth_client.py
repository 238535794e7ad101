"""A service's line to the auth service: audit entries (sent in the background), resource-rule checks and Hub
logins."""

from __future__ import annotations

import asyncio
import logging

import grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import ServiceTokenSource, open_channel
from simpletuner.libs.settings import StackSettings

log = logging.getLogger("simpletuner.rpc.auth_client")


class AuthClient:
    """Opened lazily on first use; calls carry this service's token or the current user's, as each RPC asks."""

    def __init__(self, service: str, stack: StackSettings) -> None:
        self._service = service
        self._address = stack.address_of("auth")
        self._tokens = ServiceTokenSource(service, self._address, stack.load_service_secret)
        self._channel: grpc.aio.Channel | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def stub(self) -> auth_pb2_grpc.AuthServiceStub:
        if self._channel is None:
            rules = access_rules(auth_pb2.DESCRIPTOR.services_by_name["AuthService"])
            self._channel = open_channel(self._address, self._tokens, rules)
        return auth_pb2_grpc.AuthServiceStub(self._channel)

    def record(self, event: auth_pb2.AuditEvent) -> None:
        """Append to the audit log without making the caller wait; failures are logged."""
        task = asyncio.get_running_loop().create_task(self._send(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, event: auth_pb2.AuditEvent) -> None:
        try:
            await self.stub.RecordAuditEvent(auth_pb2.RecordAuditEventRequest(event=event), timeout=5)
        except Exception as exc:  # auditing must never break the operation it describes
            log.warning("could not record audit event %s: %s", event.event_type, exc)

    async def may_use(self, resource_type: str, resource: str) -> tuple[bool, str]:
        """Whether the current caller may use a resource under the resource rules, and why."""
        request = auth_pb2.CheckResourceAccessRequest(
            resource_type=f"RESOURCE_TYPE_{resource_type.upper()}", resource=resource
        )
        reply = await self.stub.CheckResourceAccess(request, timeout=5)
        return reply.allowed, reply.reason

    async def hub_login(self) -> auth_pb2.HubLogin:
        """The current caller's Hugging Face Hub login (never its token)."""
        reply = await self.stub.GetHubLogin(auth_pb2.GetHubLoginRequest(), timeout=5)
        return reply.login

    async def hub_token(self, user_id: str) -> str:
        """A user's Hub token, for the service that uploads their run ("" when none is saved)."""
        reply = await self.stub.ResolveHubToken(auth_pb2.ResolveHubTokenRequest(user_id=user_id), timeout=5)
        return reply.token

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._channel is not None:
            await self._channel.close()
