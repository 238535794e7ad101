"""A process's connection to the bus: publish events with dedupe ids; streams exist before first use."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus.streams import ensure_streams

log = logging.getLogger("simpletuner.bus")

MSG_ID_HEADER = "Nats-Msg-Id"
CLOSE_TIMEOUT_SECONDS = 3.0


class Bus:
    """NATS + JetStream for one process."""

    client: Client
    js: JetStreamContext

    def __init__(self, source: str) -> None:
        self.source = source
        self._closing = False

    @classmethod
    async def connect(cls, url: str, source: str) -> Bus:
        """Connect (reconnecting forever after the first success) and make sure every stream exists."""
        bus = cls(source)
        bus.client = await nats.connect(
            url,
            name=source,
            connect_timeout=5,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            error_cb=bus._on_error,
            disconnected_cb=bus._on_disconnect,
        )
        bus.js = bus.client.jetstream()
        await ensure_streams(bus.js)
        return bus

    @property
    def connected(self) -> bool:
        return self.client.is_connected

    async def publish(self, subject: str, event: events_pb2.Event) -> int:
        """Store the event durably; returns its stream sequence. Retrying with the same event is a no-op."""
        ack = await self.js.publish(subject, event.SerializeToString(), headers={MSG_ID_HEADER: event.id})
        return int(ack.seq)

    async def read(
        self, stream: str, subject_filter: str, after_sequence: int, limit: int
    ) -> list[tuple[int, events_pb2.Event]]:
        """Up to `limit` stored events matching the filter with a stream sequence above `after_sequence`."""
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after_sequence + 1,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=30.0,
        )
        subscription = await self.js.pull_subscribe(subject_filter, stream=stream, config=config)
        found: list[tuple[int, events_pb2.Event]] = []
        try:
            while len(found) < limit:
                pending = (await subscription.consumer_info()).num_pending or 0
                if pending == 0:
                    break
                try:
                    batch = await subscription.fetch(min(limit - len(found), pending, 256), timeout=2)
                except (NatsTimeoutError, TimeoutError):  # nats-py raises either, depending on where it waited
                    break
                found += [(int(m.metadata.sequence.stream), events_pb2.Event.FromString(m.data)) for m in batch]
        finally:
            await subscription.unsubscribe()  # before any drain: see FIELD-NOTES
        return found

    async def close(self) -> None:
        self._closing = True
        self.client.options["allow_reconnect"] = False  # a reconnect loop must not outlive the close
        if not self.client.is_closed:
            try:
                await asyncio.wait_for(self.client.close(), CLOSE_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("the bus connection did not close within %ss", CLOSE_TIMEOUT_SECONDS)

    async def _on_disconnect(self) -> None:
        if not self._closing:
            log.warning("bus disconnected; reconnecting")

    async def _on_error(self, exc: Exception) -> None:
        log.warning("bus error: %s", exc)
