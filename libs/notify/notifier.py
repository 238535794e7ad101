"""The webhook notifier: a durable JetStream consumer of training events that delivers them to each job's targets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import nats.errors
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.payloads import simpletuner_payload
from simpletuner.libs.notify.delivery import Outcome, WebhookDelivery
from simpletuner.libs.notify.guard import Resolver, system_resolve
from simpletuner.libs.notify.targets import JobWebhooks, WebhookTarget

log = logging.getLogger("simpletuner.notify")

# job_id -> the job's webhooks, or None when it has none.
TargetsFor = Callable[[str], Awaitable[JobWebhooks | None]]

DURABLE = "webhooks"
# Per-event memory of targets already served, so a retry skips them; bounded so naks that never come back
# (a consumer deleted by hand, another instance taking over) cannot grow it for ever.
_MAX_REMEMBERED_EVENTS = 10_000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed delivery is tried again."""

    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after delivery attempt `attempt` (1-based) failed: exponential, capped."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1)))


class WebhookNotifier:
    """Delivers `simpletuner.training.>` events to webhooks; `run()` until cancelled.

    Several instances may share the durable consumer; each message is then handled by one of them.
    Receivers should deduplicate by the X-Event-Id header: after a crash, a retry or a redelivery to another
    instance, an event may reach a target twice.
    """

    def __init__(
        self,
        bus: Bus,
        targets_for: TargetsFor,
        allow_private_targets: bool,
        *,
        durable: str = DURABLE,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 8,
        request_timeout: float = 10.0,
        batch_size: int = 32,
        ack_wait: float = 30.0,
        fetch_timeout: float = 1.0,
        resolve: Resolver = system_resolve,
    ) -> None:
        self._bus = bus
        self._targets_for = targets_for
        self._allow_private = allow_private_targets
        self._durable = durable
        self._retry = retry or RetryPolicy()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._request_timeout = request_timeout
        self._batch_size = batch_size
        self._ack_wait = ack_wait
        self._fetch_timeout = fetch_timeout
        self._resolve = resolve
        self._served: OrderedDict[str, set[WebhookTarget]] = OrderedDict()
        self._unsettled: dict[int, Msg] = {}
        self.ready = asyncio.Event()  # set once the consumer exists: events published after it are delivered

    async def run(self) -> None:
        """Consume and deliver until cancelled; the pull subscription is removed on the way out."""
        subscription = await self._bus.js.pull_subscribe(
            streams.TRAINING.subjects[0], durable=self._durable, stream=streams.TRAINING.name, config=self._config()
        )
        keep_alive = asyncio.create_task(self._keep_alive())
        self.ready.set()
        try:
            async with WebhookDelivery(self._allow_private, self._request_timeout, self._resolve) as delivery:
                while True:
                    messages = await self._fetch(subscription)
                    await self._handle_batch(messages, delivery)
        finally:
            self.ready.clear()
            self._unsettled.clear()  # not acknowledged: the server redelivers them after ack_wait
            keep_alive.cancel()
            await asyncio.gather(keep_alive, return_exceptions=True)
            # Unsubscribed before the bus closes: nats-py's drain otherwise waits 30 s on a pull subscription.
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()

    def _config(self) -> ConsumerConfig:
        # NEW: a consumer made for the first time does not replay the stream's 30 days of history;
        # an existing one resumes where it was acknowledged.
        return ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW,
            ack_wait=self._ack_wait,
        )

    async def _fetch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        try:
            return list(await subscription.fetch(self._batch_size, timeout=self._fetch_timeout))
        except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either, depending on where it waited
            return []
        except nats.errors.Error as exc:  # disconnected: the bus reconnects by itself
            log.warning("webhook consumer could not fetch: %s", exc)
            await asyncio.sleep(self._fetch_timeout)
            return []

    async def _keep_alive(self) -> None:
        """Tell the server that held messages are still being worked on, so slow targets cause no redelivery."""
        while True:
            await asyncio.sleep(self._ack_wait / 3)
            for message in list(self._unsettled.values()):
                with contextlib.suppress(nats.errors.Error):
                    await message.in_progress()

    async def _handle_batch(self, messages: list[Msg], delivery: WebhookDelivery) -> None:
        """Jobs in parallel; one job's events in the order they were published."""
        by_job: dict[str, list[Msg]] = {}
        for message in messages:
            by_job.setdefault(_job_id(message.subject), []).append(message)
            self._unsettled[id(message)] = message
        await asyncio.gather(*(self._handle_in_order(job_id, batch, delivery) for job_id, batch in by_job.items()))

    async def _handle_in_order(self, job_id: str, messages: list[Msg], delivery: WebhookDelivery) -> None:
        for message in messages:
            try:
                await self._handle(job_id, message, delivery)
            except Exception:  # one bad message must not stop the others
                log.exception("webhook consumer failed on message %s", message.subject)
            finally:
                self._unsettled.pop(id(message), None)

    async def _handle(self, job_id: str, message: Msg, delivery: WebhookDelivery) -> None:
        try:
            event = events_pb2.Event.FromString(message.data)
        except DecodeError:
            log.warning("dropping an undecodable message on %s", message.subject)
            await message.term()
            return
        try:
            finished = await self._deliver(job_id, event, delivery)
        except Exception:  # for example the job's settings could not be read: try again later
            log.exception("webhooks for event %s of job %s failed", event.id, job_id)
            finished = False
        await self._settle(message, event.id, finished)

    async def _deliver(self, job_id: str, event: events_pb2.Event, delivery: WebhookDelivery) -> bool:
        """Send to each wanting target not yet served; True when none is left to retry."""
        webhooks = await self._targets_for(job_id)
        if webhooks is None:
            return True
        payload = simpletuner_payload(event)
        served = self._remember(event.id)
        wanted = dict.fromkeys(t for t in webhooks.targets if t.wants(payload, webhooks.reporting_interval))
        pending = [target for target in wanted if target not in served]
        outcomes = await asyncio.gather(*(self._bounded(delivery.deliver(t, payload, event.id)) for t in pending))
        served.update(target for target, outcome in zip(pending, outcomes, strict=True) if outcome is not Outcome.RETRY)
        return all(outcome is not Outcome.RETRY for outcome in outcomes)

    async def _bounded(self, delivering: Coroutine[Any, Any, Outcome]) -> Outcome:
        async with self._slots:
            return await delivering

    def _remember(self, event_id: str) -> set[WebhookTarget]:
        served = self._served.setdefault(event_id, set())
        self._served.move_to_end(event_id)
        while len(self._served) > _MAX_REMEMBERED_EVENTS:
            self._served.popitem(last=False)
        return served

    async def _settle(self, message: Msg, event_id: str, finished: bool) -> None:
        attempt = message.metadata.num_delivered or 1
        if finished:
            self._served.pop(event_id, None)
            await message.ack()
        elif attempt >= self._retry.max_attempts:
            self._served.pop(event_id, None)
            log.warning("giving up on webhooks for event %s after %s attempts", event_id, attempt)
            await message.term()
        else:
            await message.nak(delay=self._retry.delay(attempt))


def _job_id(subject: str) -> str:
    """The <job_id> token of simpletuner.training.<job_id>.<kind>."""
    parts = subject.split(".")
    return parts[2] if len(parts) > 3 else ""
