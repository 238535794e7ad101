"""The bus: streams are created idempotently, publishes are deduplicated by event id, events are replayable."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams, subjects
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import event_to_dict, event_type, new_event
from simpletuner.libs.bus.streams import ensure_streams
from simpletuner.libs.testing.nats import NatsServer


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    connected = await Bus.connect(nats_server.url, source="test")
    try:
        yield connected
    finally:
        await connected.close()


def _state_event(service: str = "auth") -> events_pb2.Event:
    change = events_pb2.ServiceStateChanged(service=service, state=events_pb2.SERVICE_STATE_SERVING)
    return new_event("test/1", service_state_changed=change)


async def test_ensuring_streams_twice_keeps_one_stream_per_catalogue_entry(bus: Bus) -> None:
    await ensure_streams(bus.js)
    await ensure_streams(bus.js)
    names = {info.config.name for info in await bus.js.streams_info()}
    assert {s.name for s in streams.CATALOGUE} <= names


async def test_a_stream_changed_by_hand_is_brought_back_to_its_catalogued_config(bus: Bus) -> None:
    config = streams.SYSTEM.config()
    config.max_age = 3600
    await bus.js.update_stream(config)
    await ensure_streams(bus.js)
    info = await bus.js.stream_info(streams.SYSTEM.name)
    assert info.config.max_age == streams.SYSTEM.max_age_seconds


async def test_publishing_the_same_event_twice_stores_it_once(bus: Bus) -> None:
    event = _state_event()
    subject = subjects.SERVICE_STATE.render(service="auth")
    first = await bus.publish(subject, event)
    again = await bus.publish(subject, event)
    assert first == again
    other = await bus.publish(subject, _state_event())
    assert other == first + 1


async def test_a_published_event_can_be_replayed_from_its_sequence(bus: Bus) -> None:
    event = _state_event("trainer")
    sequence = await bus.publish(subjects.SERVICE_STATE.render(service="trainer"), event)
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=sequence)
    subscription = await bus.js.subscribe(
        streams.SYSTEM.subjects[0], stream=streams.SYSTEM.name, ordered_consumer=True, config=config
    )
    try:
        message = await subscription.next_msg(timeout=5)
    finally:
        await subscription.unsubscribe()
    assert events_pb2.Event.FromString(message.data) == event
    assert message.metadata.sequence.stream == sequence


def test_an_event_names_its_type_and_serialises_with_proto_field_names() -> None:
    event = _state_event()
    data = event_to_dict(event)
    assert event_type(event) == "service_state_changed" == data["type"]
    assert data["service_state_changed"]["state"] == "SERVICE_STATE_SERVING"
    assert data["id"] == event.id and data["source"] == "test/1"
