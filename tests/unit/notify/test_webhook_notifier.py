"""The notifier end to end: events published on a real NATS server reach a local HTTP receiver, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import new_event
from simpletuner.libs.bus.payloads import simpletuner_payload
from simpletuner.libs.bus.subjects import training_subject
from simpletuner.libs.notify.notifier import RetryPolicy, WebhookNotifier
from simpletuner.libs.notify.targets import JobWebhooks, WebhookTarget
from simpletuner.libs.testing.nats import NatsServer

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers each path from a script, then 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: dict[str, list[int]] = {}
        self.delays: dict[str, float] = {}  # seconds to wait before answering, by path
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.at(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} got {len(self.at(path))} requests, expected {count}")
            await asyncio.sleep(0.02)
        return self.at(path)

    def _answer(self, path: str, headers: dict[str, str], body: Any) -> int:
        with self._lock:
            self.requests.append(Received(path, headers, body))
            statuses = self.script.get(path, [])
            return statuses.pop(0) if statuses else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {key.lower(): value for key, value in self.headers.items()}
                status = receiver._answer(self.path, headers, body)
                time.sleep(receiver.delays.get(self.path, 0.0))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/moved")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    connected = await Bus.connect(nats_server.url, source="test/notify")
    try:
        yield connected
    finally:
        await connected.close()


class Jobs:
    """The `targets_for` callable: webhooks by job id, None for every other job."""

    def __init__(self) -> None:
        self.webhooks: dict[str, JobWebhooks] = {}

    def add(self, *targets: WebhookTarget, interval: int | None = None) -> str:
        job_id = f"job-{uuid.uuid4().hex[:8]}"
        self.webhooks[job_id] = JobWebhooks(targets, interval)
        return job_id

    async def __call__(self, job_id: str) -> JobWebhooks | None:
        return self.webhooks.get(job_id)


@contextlib.asynccontextmanager
async def running(bus: Bus, jobs: Jobs, allow_private: bool = True, **options: Any) -> AsyncIterator[WebhookNotifier]:
    durable = f"webhooks-{uuid.uuid4().hex[:8]}"
    notifier = WebhookNotifier(
        bus, jobs, allow_private, durable=durable, retry=FAST_RETRY, fetch_timeout=0.2, **options
    )
    task = asyncio.create_task(notifier.run())
    ready = asyncio.create_task(notifier.ready.wait())
    await asyncio.wait([task, ready], timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises what stopped it
    try:
        yield notifier
    finally:
        ready.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def settled(bus: Bus, notifier: WebhookNotifier, sequence: int, timeout: float = 15.0) -> None:
    """Wait until the consumer has handled every message up to `sequence` and holds none unacknowledged."""
    deadline = time.monotonic() + timeout
    while True:
        info = await bus.js.consumer_info(streams.TRAINING.name, notifier._durable)
        if info.delivered.stream_seq >= sequence and not info.num_ack_pending and not info.num_pending:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"consumer not settled: {info}")
        await asyncio.sleep(0.05)


def _status(job_id: str, status: int = events_pb2.TRAINING_STATUS_RUNNING) -> events_pb2.Event:
    change = events_pb2.TrainingStatusChanged(job_id=job_id, status=status, message="started")
    return new_event("trainer/1", training_status_changed=change)


def _progress(job_id: str, step: int, total: int) -> events_pb2.Event:
    progress = events_pb2.TrainingProgress(job_id=job_id, step=step, total_steps=total, epoch=1, total_epochs=1)
    return new_event("trainer/1", training_progress=progress)


async def _publish(bus: Bus, event: events_pb2.Event) -> int:
    payload = str(event.WhichOneof("payload"))
    return await bus.publish(training_subject(getattr(event, payload).job_id, payload), event)


async def test_a_published_event_reaches_a_raw_target_with_its_payload_and_headers(
    bus: Bus, receiver: Receiver
) -> None:
    jobs = Jobs()
    target = WebhookTarget("raw", receiver.url("/hook"), message_prefix="[box]", auth_token="s3cret")
    job_id = jobs.add(target)
    async with running(bus, jobs):
        event = _status(job_id)
        await _publish(bus, event)
        (request,) = await receiver.wait_for("/hook", 1)
    expected = simpletuner_payload(event)
    assert request.body == {**expected, "title": "[box] Running", "message": "[box] started"}
    assert request.headers["x-event-id"] == event.id
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["content-type"] == "application/json"


async def test_a_receiver_failing_twice_gets_the_event_on_the_third_try_with_the_same_event_id(
    bus: Bus, receiver: Receiver
) -> None:
    jobs = Jobs()
    receiver.script["/flaky"] = [500, 503]
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/flaky")))
    async with running(bus, jobs) as notifier:
        event = _status(job_id)
        sequence = await _publish(bus, event)
        requests = await receiver.wait_for("/flaky", 3)
        await settled(bus, notifier, sequence)
    assert len(receiver.at("/flaky")) == 3
    assert {r.headers["x-event-id"] for r in requests} == {event.id}
    assert all(r.body == simpletuner_payload(event) for r in requests)


async def test_a_retry_resends_only_to_the_targets_that_failed(bus: Bus, receiver: Receiver) -> None:
    jobs = Jobs()
    receiver.script["/flaky"] = [500]
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/ok")), WebhookTarget("raw", receiver.url("/flaky")))
    async with running(bus, jobs) as notifier:
        sequence = await _publish(bus, _status(job_id))
        await receiver.wait_for("/flaky", 2)
        await settled(bus, notifier, sequence)
    assert len(receiver.at("/ok")) == 1


async def test_a_target_that_never_recovers_is_given_up_after_the_last_attempt(
    bus: Bus, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = Jobs()
    receiver.script["/down"] = [500] * 10
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/down")))
    with caplog.at_level(logging.WARNING, logger="simpletuner.notify"):
        async with running(bus, jobs) as notifier:
            event = _status(job_id)
            sequence = await _publish(bus, event)
            await settled(bus, notifier, sequence)
    assert len(receiver.at("/down")) == FAST_RETRY.max_attempts
    assert f"giving up on webhooks for event {event.id} after 4 attempts" in caplog.text


async def test_a_slow_receiver_is_not_sent_the_event_again_while_it_is_still_answering(
    bus: Bus, receiver: Receiver
) -> None:
    jobs = Jobs()
    receiver.delays["/slow"] = 1.5  # longer than ack_wait: only the keep-alive prevents a redelivery
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/slow")))
    async with running(bus, jobs, ack_wait=0.6) as notifier:
        sequence = await _publish(bus, _status(job_id))
        await settled(bus, notifier, sequence)
        await asyncio.sleep(0.3)  # a redelivery, had there been one, would be fetched by now
    assert len(receiver.at("/slow")) == 1


async def test_a_redirect_is_neither_followed_nor_retried(
    bus: Bus, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = Jobs()
    receiver.script["/old"] = [302]
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/old")))
    with caplog.at_level(logging.WARNING, logger="simpletuner.notify"):
        async with running(bus, jobs) as notifier:
            sequence = await _publish(bus, _status(job_id))
            await settled(bus, notifier, sequence)
    assert (len(receiver.at("/old")), receiver.at("/moved")) == (1, [])
    assert "redirects are not followed" in caplog.text


async def test_a_loopback_target_is_refused_unless_private_targets_are_allowed(
    bus: Bus, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = Jobs()
    job_id = jobs.add(WebhookTarget("raw", receiver.url("/local")))
    with caplog.at_level(logging.WARNING, logger="simpletuner.notify"):
        async with running(bus, jobs, allow_private=False) as notifier:
            sequence = await _publish(bus, _status(job_id))
            await settled(bus, notifier, sequence)
    assert receiver.at("/local") == []
    assert "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in caplog.text
    async with running(bus, jobs, allow_private=True):
        await _publish(bus, _status(job_id))
        await receiver.wait_for("/local", 1)


async def test_progress_follows_the_reporting_interval_and_other_events_always_go(bus: Bus, receiver: Receiver) -> None:
    jobs = Jobs()
    raw, slack = WebhookTarget("raw", receiver.url("/raw")), WebhookTarget("slack", receiver.url("/slack"))
    job_id = jobs.add(raw, slack, interval=3)
    quiet_job = jobs.add(raw)  # no interval: no progress at all
    async with running(bus, jobs) as notifier:
        for step in range(1, 8):
            await _publish(bus, _progress(job_id, step, 7))
            await _publish(bus, _progress(quiet_job, step, 7))
        sequence = await _publish(bus, _status(job_id, events_pb2.TRAINING_STATUS_COMPLETED))
        await settled(bus, notifier, sequence)
    received = receiver.at("/raw")
    assert [(r.body["job_id"], r.body["type"], r.body.get("step")) for r in received] == [
        (job_id, "training.progress", 3),
        (job_id, "training.progress", 6),
        (job_id, "training.progress", 7),
        (job_id, "training.status", None),
    ]
    assert [r.body for r in receiver.at("/slack")] == [{"text": "*Completed*\nstarted"}]


async def test_events_of_jobs_without_webhooks_are_acknowledged_and_dropped(bus: Bus, receiver: Receiver) -> None:
    async with running(bus, Jobs()) as notifier:
        sequence = await _publish(bus, _status("job-unknown"))
        await settled(bus, notifier, sequence)
    assert receiver.requests == []


async def test_a_cancelled_notifier_stops_and_leaves_no_subscription_behind(nats_server: NatsServer) -> None:
    own = await Bus.connect(nats_server.url, source="test/notify-stop")
    try:
        # One message per fetch, and a fetch that timed out: the case where drain() would hang.
        async with running(own, Jobs(), batch_size=1) as notifier:
            await settled(own, notifier, await _publish(own, _status("job-stop")))
            await asyncio.sleep(notifier._fetch_timeout * 3)
        # drain() hangs for 30 s on a pull subscription left subscribed (see FIELD-NOTES).
        # (wait_for would not do: nats-py swallows the cancellation and drain() "succeeds" late.)
        draining = asyncio.create_task(own.client.drain())
        done, _ = await asyncio.wait({draining}, timeout=10)
        assert draining in done, "drain() hung: a pull subscription was left subscribed"
    finally:
        await own.close()
