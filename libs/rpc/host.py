"""A gRPC server with the interceptor chain, standard health checking and reflection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from simpletuner.api.common.v1 import access_pb2
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.denials import DenialHandler
from simpletuner.libs.rpc.identity import TokenVerifier
from simpletuner.libs.rpc.interceptors import default_chain
from simpletuner.libs.rpc.runtime import ServiceRuntime
from simpletuner.libs.settings import ServiceSettings

log = logging.getLogger("simpletuner.service")

BACKGROUND_STOP_SECONDS = 2.0


class ServiceHost:
    """Builds an unstarted `grpc.aio.Server`; the caller binds, starts and stops it."""

    def __init__(self, verifier: TokenVerifier, on_denied: DenialHandler | None = None) -> None:
        self.rules: dict[str, access_pb2.AccessRule] = {}
        self.server = grpc.aio.server(interceptors=default_chain(verifier, self.rules, on_denied))
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._service_names: list[str] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def add(
        self, register: Callable[[Any, grpc.aio.Server], None], servicer: Any, descriptor: ServiceDescriptor
    ) -> None:
        """Register a servicer (`register` is the generated add_*Servicer_to_server)."""
        register(servicer, self.server)
        self._service_names.append(descriptor.full_name)
        self.rules.update(access_rules(descriptor))

    def run_in_background(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A coroutine to run while the server serves (started by start, cancelled by stop)."""
        self._background.append(job)

    def bind(self, address: str) -> int:
        """Listen on host:port (port 0 picks a free one); returns the port."""
        port = self.server.add_insecure_port(address)
        if port == 0:
            raise SystemExit(f"cannot listen on {address}: is the port in use?")
        return port

    async def start(self) -> None:
        names = [*self._service_names, health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, self.server)
        await self.server.start()
        serving = health_pb2.HealthCheckResponse.SERVING
        await self.health.set("", serving)
        for name in self._service_names:
            await self.health.set(name, serving)
        self._tasks = [asyncio.create_task(job()) for job in self._background]
        for task in self._tasks:
            task.add_done_callback(_report_failure)

    async def stop(self, grace_seconds: float) -> None:
        """Report NOT_SERVING, let in-flight calls finish within the grace period, then stop."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_seconds)
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # a job whose library swallows the cancellation must not hold the process hostage
            await asyncio.wait(self._tasks, timeout=BACKGROUND_STOP_SECONDS)


def _report_failure(task: asyncio.Task[None]) -> None:
    """A background job that dies must say so (its exception would otherwise vanish with the task)."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background job %s failed: %r", task.get_name(), error, exc_info=error)


def service_host(settings: ServiceSettings, runtime: ServiceRuntime) -> ServiceHost:
    """The usual host of a service: callers verified with auth's public key, refusals audited."""
    return ServiceHost(TokenVerifier(settings.stack.token_public_key_file), runtime.report_denial)
