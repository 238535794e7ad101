"""Runs one service process: migrate, connect the bus, serve gRPC, announce, and stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import subjects
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import new_event
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.migrations import Migrations, upgrade_to_head
from simpletuner.libs.logs import configure_logging
from simpletuner.libs.rpc.auth_client import AuthClient
from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.runtime import ServiceRuntime
from simpletuner.libs.settings import ServiceSettings
from simpletuner.libs.version import VERSION

log = logging.getLogger("simpletuner.service")

LEFTOVER_TASKS_SECONDS = 2.0

S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class ServiceSpec(Generic[S]):
    """Everything the runner needs to know about one service."""

    name: str
    settings_type: type[S]
    migrations: Migrations
    build_server: Callable[[S, ServiceRuntime], ServiceHost]
    prepare: Callable[[S], None] | None = None


def main(spec: ServiceSpec[S]) -> None:
    """Process entry point: settings from the environment, JSON logs, serve until SIGTERM/SIGINT."""
    settings = spec.settings_type()
    configure_logging(spec.name, settings.stack.log_level)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve(spec, settings))
    finally:
        _close_loop(loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left, but do not wait forever: a library task that swallows its cancellation (nats-py's
    reconnect loop once its server is gone) must not keep a stopped service alive."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        _, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=LEFTOVER_TASKS_SECONDS))
        if stuck:
            log.warning("%d task(s) ignored cancellation; exiting without them", len(stuck))
            logging.shutdown()
            os._exit(0)
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


async def serve(
    spec: ServiceSpec[S], settings: S, *, stop: asyncio.Event | None = None, ready: asyncio.Future[int] | None = None
) -> None:
    """Serve until `stop` is set (or a stop signal arrives); `ready` receives the bound port."""
    if spec.prepare:
        spec.prepare(settings)
    database = Database(settings.effective_database_url())
    revision = await asyncio.to_thread(upgrade_to_head, database, spec.migrations)
    bus = await Bus.connect(settings.stack.require_nats_url(), source=spec.name)
    auth = AuthClient(spec.name, settings.stack)
    runtime = ServiceRuntime(spec.name, database, bus, revision, auth)
    host = spec.build_server(settings, runtime)
    try:
        port = host.bind(f"{settings.host}:{settings.port}")
        await host.start()
        log.info(
            "%s serving on %s:%s",
            spec.name,
            settings.host,
            port,
            extra={"port": port, "database": database.describe(), "schema_revision": revision},
        )
        await _announce(runtime, events_pb2.SERVICE_STATE_SERVING)
        if ready is not None:
            ready.set_result(port)
        await (stop or _signal_event()).wait()
        log.info("%s stopping", spec.name)
        await _announce(runtime, events_pb2.SERVICE_STATE_STOPPING)
        await host.stop(settings.shutdown_grace_seconds)
    finally:
        await _release(auth.close(), bus.close())
        database.dispose()


async def _release(*closings: Coroutine[Any, Any, None]) -> None:
    """Close every connection even when one fails (its peer may be gone already); a stop ends cleanly."""
    for outcome in await asyncio.gather(*closings, return_exceptions=True):
        if isinstance(outcome, BaseException):
            log.warning("while stopping: %s", outcome)


async def _announce(runtime: ServiceRuntime, state: events_pb2.ServiceState) -> None:
    change = events_pb2.ServiceStateChanged(
        service=runtime.name, instance_id=runtime.instance_id, state=state, version=VERSION
    )
    event = new_event(runtime.source, service_state_changed=change)
    if not runtime.bus.connected:  # stopping because everything stops (the bus too): do not wait for it
        log.warning("bus unavailable; not announcing %s", events_pb2.ServiceState.Name(state))
        return
    try:
        await asyncio.wait_for(runtime.bus.publish(subjects.SERVICE_STATE.render(service=runtime.name), event), 2)
    except Exception as exc:  # announcing is informative; never let it block start or stop
        log.warning("could not publish %s: %s", events_pb2.ServiceState.Name(state), exc)


def _signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
