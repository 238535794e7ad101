"""An event sink for training processes: publishes each event on NATS from a background thread, in order.

Training never waits for the bus: `write` only queues. The thread publishes every event with its id as
`Nats-Msg-Id` and retries until JetStream stores it, so a NATS restart mid-run loses nothing and a retry
is stored once. What a crash leaves unpublished is still in the run's events file, which the trainer
service replays (see runs.py).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import event_type
from simpletuner.libs.bus.subjects import training_subject

log = logging.getLogger("simpletuner.trainer.publisher")

RETRY_SECONDS = 0.25
PUBLISH_TIMEOUT_SECONDS = 5.0


class BusPublisher:
    """The engine's EventSink protocol (write/close) over a bus connection owned by its own thread."""

    def __init__(self, nats_url: str, source: str, flush_seconds: float = 30.0) -> None:
        self._url = nats_url
        self._source = source
        self._flush_seconds = flush_seconds
        self._queue: queue.Queue[ev.Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="event-publisher", daemon=True)
        self._thread.start()

    def write(self, event: ev.Event) -> None:
        self._queue.put(event)

    def close(self) -> None:
        """Publish what is queued (up to flush_seconds), then disconnect."""
        self._queue.put(None)
        self._thread.join(self._flush_seconds)
        if self._thread.is_alive():
            log.warning("%d events were not published in time; the trainer service replays them", self.pending)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        asyncio.run(self._publish_all())

    async def _publish_all(self) -> None:
        bus = await self._connect()
        try:
            while (event := await asyncio.to_thread(self._queue.get)) is not None:
                await self._publish(bus, event)
        finally:
            await bus.close()

    async def _connect(self) -> Bus:
        while True:
            try:
                return await Bus.connect(self._url, self._source)
            except Exception as exc:  # the bus may be restarting; events wait in the queue
                log.warning("cannot reach the bus (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def _publish(self, bus: Bus, event: ev.Event) -> None:
        payload = event_type(event)
        job_id = getattr(event, payload).job_id
        subject = training_subject(job_id, payload)
        started = time.monotonic()
        while True:
            try:
                await asyncio.wait_for(bus.publish(subject, event), PUBLISH_TIMEOUT_SECONDS)
                return
            except Exception as exc:  # not stored yet (bus down, no JetStream ack): same id, so no duplicate
                if time.monotonic() - started > 1:
                    log.warning("event %s not stored yet (%s); retrying", event.id, exc)
                await asyncio.sleep(RETRY_SECONDS)
