"""GET /api/events: the durable system event stream as Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from nats.js.api import ConsumerConfig, DeliverPolicy
from sse_starlette import EventSourceResponse, ServerSentEvent

from simpletuner.api.common.v1.access_pb2 import PERMISSION_ADMIN_CONFIG
from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import event_to_dict, event_type

from ..deps import ClientsDep
from ..security import requires

router = APIRouter(tags=["events"])

HEARTBEAT_SECONDS = 15
NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/api/events", response_class=EventSourceResponse, dependencies=[Depends(requires(PERMISSION_ADMIN_CONFIG))]
)
async def stream_events(
    clients: ClientsDep,
    last_event_id: Annotated[int | None, Header(description="Resume after this stream sequence.")] = None,
    since: Annotated[int | None, Query(ge=0, description="Resume after this sequence (for EventSource).")] = None,
) -> EventSourceResponse:
    """Stream system events (service lifecycle, ...) as SSE.

    Each frame's `id:` is the event's JetStream sequence and `event:` its type. Reconnect with the
    `Last-Event-ID` header (or `?since=`) to continue exactly after the last frame received; without
    either, the stream starts from the oldest retained event. Comment lines are heartbeats.
    """
    after = last_event_id if last_event_id is not None else (since or 0)
    frames = _frames(clients.require_bus(), after + 1)
    return EventSourceResponse(frames, ping=HEARTBEAT_SECONDS, headers=NO_BUFFERING)


async def _frames(bus: Bus, start_sequence: int) -> AsyncIterator[ServerSentEvent]:
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start_sequence)
    subscription = await bus.js.subscribe(
        streams.SYSTEM.subjects[0], stream=streams.SYSTEM.name, ordered_consumer=True, config=config
    )
    try:
        async for message in subscription.messages:
            event = events_pb2.Event.FromString(message.data)
            yield ServerSentEvent(
                data=json.dumps(event_to_dict(event)),
                event=event_type(event),
                id=str(message.metadata.sequence.stream),
            )
    finally:
        await subscription.unsubscribe()
