"""A service process's life in one test process: migrate, serve with health, announce on the bus, stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.js.api import ConsumerConfig, DeliverPolicy

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.context import Caller
from simpletuner.libs.rpc.identity import TokenSigner, ensure_signing_keys
from simpletuner.libs.rpc.runner import serve
from simpletuner.libs.settings import StackSettings
from simpletuner.libs.testing.nats import NatsServer
from simpletuner.services.config.server import SPEC
from simpletuner.services.config.settings import ConfigSettings


async def _states_of(bus: Bus, instance_id: str, start: int) -> list[int]:
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
    sub = await bus.js.subscribe(streams.SYSTEM.subjects[0], ordered_consumer=True, config=config)
    states = []
    try:
        while True:
            try:
                message = await sub.next_msg(timeout=1)
            except TimeoutError:
                return states
            event = events_pb2.Event.FromString(message.data)
            if event.service_state_changed.instance_id == instance_id:
                states.append(event.service_state_changed.state)
    finally:
        await sub.unsubscribe()


async def test_a_service_serves_health_and_info_then_announces_its_start_and_stop(
    tmp_path: Path, nats_server: NatsServer, database_url: str | None
) -> None:
    stack = StackSettings(workspace=tmp_path, nats_url=nats_server.url, database_url=database_url)
    private_key = tmp_path / "token-private.pem"
    ensure_signing_keys(private_key, stack.token_public_key_file)
    service = Caller(subject="service:test", username="test", is_service=True)
    as_service = [("authorization", f"Bearer {TokenSigner(private_key.read_text()).issue(service)}")]
    settings = ConfigSettings(port=0, stack=stack, shutdown_grace_seconds=1)
    observer = await Bus.connect(nats_server.url, source="observer")
    start = (await observer.js.stream_info(streams.SYSTEM.name)).state.last_seq + 1
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(SPEC, settings, stop=stop, ready=ready))
    port = await asyncio.wait_for(ready, 30)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="simpletuner.api.config.v1.ConfigService")
        )
        stub = config_pb2_grpc.ConfigServiceStub(channel)
        info = (await stub.GetServiceInfo(config_pb2.GetServiceInfoRequest(), metadata=as_service)).info
    stop.set()
    await asyncio.wait_for(task, 15)
    states = await _states_of(observer, info.instance_id, start)
    await observer.close()

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert info.service == "config" and info.schema_revision == "config_0001"
    assert {d.name: d.healthy for d in info.dependencies} == {"database": True, "bus": True}
    assert states == [events_pb2.SERVICE_STATE_SERVING, events_pb2.SERVICE_STATE_STOPPING]
