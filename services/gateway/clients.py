"""The gateway's connections: one gRPC channel per service and the bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc, orgs_pb2, orgs_pb2_grpc
from simpletuner.api.config.v1 import (
    config_pb2,
    config_pb2_grpc,
    datasets_pb2,
    datasets_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)
from simpletuner.api.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import ServiceTokenSource, open_channel
from simpletuner.libs.settings import SERVICES, StackSettings

log = logging.getLogger("simpletuner.gateway")

# Each service's stub class and its GetServiceInfo request type.
SERVICE_STUBS: dict[str, tuple[type, type]] = {
    "auth": (auth_pb2_grpc.AuthServiceStub, auth_pb2.GetServiceInfoRequest),
    "config": (config_pb2_grpc.ConfigServiceStub, config_pb2.GetServiceInfoRequest),
    "scheduler": (scheduler_pb2_grpc.SchedulerServiceStub, scheduler_pb2.GetServiceInfoRequest),
    "trainer": (trainer_pb2_grpc.TrainerServiceStub, trainer_pb2.GetServiceInfoRequest),
}


SERVICE_DESCRIPTORS = (
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    orgs_pb2.DESCRIPTOR.services_by_name["OrganizationService"],
    config_pb2.DESCRIPTOR.services_by_name["ConfigService"],
    datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"],
    workspace_pb2.DESCRIPTOR.services_by_name["WorkspaceService"],
    scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"],
    trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"],
)


def all_access_rules() -> dict[str, Any]:
    """The declared AccessRule of every RPC the gateway may call."""
    return {path: rule for service in SERVICE_DESCRIPTORS for path, rule in access_rules(service).items()}


@dataclass
class ServiceClients:
    """Opened in the app's lifespan, closed at shutdown."""

    stack: StackSettings
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)
    bus: Bus | None = None
    _pending: set[asyncio.Task[Any]] = field(default_factory=set)

    @classmethod
    def from_settings(cls, stack: StackSettings) -> ServiceClients:
        stack.require_nats_url()
        return cls(stack)

    async def connect(self) -> None:
        tokens = ServiceTokenSource("gateway", self.stack.address_of("auth"), self.stack.load_service_secret)
        rules = all_access_rules()
        self.channels = {name: open_channel(self.stack.address_of(name), tokens, rules) for name in SERVICES}
        self.bus = await Bus.connect(self.stack.require_nats_url(), source="gateway")

    @property
    def auth(self) -> auth_pb2_grpc.AuthServiceStub:
        return auth_pb2_grpc.AuthServiceStub(self.channels["auth"])

    @property
    def config(self) -> config_pb2_grpc.ConfigServiceStub:
        return config_pb2_grpc.ConfigServiceStub(self.channels["config"])

    @property
    def datasets(self) -> datasets_pb2_grpc.DatasetServiceStub:
        return datasets_pb2_grpc.DatasetServiceStub(self.channels["config"])

    @property
    def workspace(self) -> workspace_pb2_grpc.WorkspaceServiceStub:
        return workspace_pb2_grpc.WorkspaceServiceStub(self.channels["config"])

    @property
    def trainer(self) -> trainer_pb2_grpc.TrainerServiceStub:
        return trainer_pb2_grpc.TrainerServiceStub(self.channels["trainer"])

    @property
    def scheduler(self) -> scheduler_pb2_grpc.SchedulerServiceStub:
        return scheduler_pb2_grpc.SchedulerServiceStub(self.channels["scheduler"])

    @property
    def orgs(self) -> orgs_pb2_grpc.OrganizationServiceStub:
        return orgs_pb2_grpc.OrganizationServiceStub(self.channels["auth"])

    def fire_and_forget(self, call: Awaitable[Any]) -> None:
        """Run a call the request does not wait for; failures are logged, never raised."""

        async def run() -> None:
            try:
                await call
            except Exception as exc:  # reporting is best effort
                log.warning("background call failed: %s", exc)

        task = asyncio.create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        await asyncio.gather(*self._pending, return_exceptions=True)
        for channel in self.channels.values():
            await channel.close()
        if self.bus is not None:
            await self.bus.close()

    def stub(self, service: str) -> Any:
        """The generated stub of `service` (AuthServiceStub, ...)."""
        stub_type, _ = SERVICE_STUBS[service]
        return stub_type(self.channels[service])

    def health(self, service: str) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self.channels[service])

    def require_bus(self) -> Bus:
        if self.bus is None:
            raise RuntimeError("the gateway's bus connection is not open yet")
        return self.bus
