"""Training events (/api/training/events): a page since an index, and a live stream as SSE or WebSocket.

Indexes are JetStream stream sequences, so `next_index`, SSE `id:` and `Last-Event-ID` all name the same
point: a client that reconnects with the last one it saw receives exactly what it missed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from nats.js.api import ConsumerConfig, DeliverPolicy
from sse_starlette import EventSourceResponse, ServerSentEvent

from simpletuner.api.common.v1.access_pb2 import PERMISSION_JOB_VIEW_OWN
from simpletuner.api.events.v1 import events_pb2
from simpletuner.api.scheduler.v1 import scheduler_pb2
from simpletuner.api.trainer.v1 import trainer_pb2
from simpletuner.libs import context, permissions
from simpletuner.libs.bus import streams, subjects
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import event_type
from simpletuner.libs.bus.payloads import simpletuner_payload

from ..clients import ServiceClients
from ..deps import ClientsDep, SettingsDep
from ..security import Principal, authenticate, requires

router = APIRouter(prefix="/api/training", tags=["training"])

NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
PAGE_LIMIT = 1000
VIEW_OWN = permissions.dotted(PERMISSION_JOB_VIEW_OWN)
VIEW_ALL = "job.view.all"

SinceQuery = Annotated[int | None, Query(ge=0, description="Resume after this index (for EventSource).")]


class JobVisibility:
    """Whether the caller may see a job's events; owners are looked up once per job with the gateway's own
    identity (a long stream outlives the caller's short-lived token)."""

    def __init__(self, clients: ServiceClients, principal: Principal) -> None:
        self._clients = clients
        self._user_id = principal.user.id
        self._sees_all = principal.holds(VIEW_ALL)
        self._known: dict[str, bool] = {}

    async def allows(self, job_id: str) -> bool:
        if self._sees_all:
            return True
        if job_id not in self._known:
            token = context.caller_token.set("")  # the gateway's service token, not the user's
            try:
                reply = await self._clients.scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id))
                self._known[job_id] = reply.job.owner_id == self._user_id
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                self._known[job_id] = False
            finally:
                context.caller_token.reset(token)
        return self._known[job_id]


async def _visible_job(clients: ServiceClients, job_id: str) -> str:
    """The named job if the caller may see it (404 otherwise), else the caller's latest job ('' when none)."""
    if job_id:  # the scheduler knows every job, queued ones too
        return (await clients.scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id))).job.job_id
    try:
        reply = await clients.trainer.GetTrainingStatus(trainer_pb2.GetTrainingStatusRequest(job_id=job_id))
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND and not job_id:
            return ""
        raise
    return reply.run.job_id


def _job_of(event: events_pb2.Event) -> str:
    return str(getattr(event, event_type(event)).job_id)


@router.get("/events", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def events_page(
    clients: ClientsDep,
    since_index: Annotated[int, Query(ge=0, description="Return events after this index (next_index).")] = 0,
    job_id: Annotated[str, Query(description="The job (default: your latest).")] = "",
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = PAGE_LIMIT,
) -> dict[str, Any]:
    """A job's events after `since_index`: `{events, job_id, next_index}`; poll again with `next_index`."""
    job = await _visible_job(clients, job_id)
    if not job:
        return {"events": [], "job_id": None, "next_index": since_index}
    found = await clients.require_bus().read(
        streams.TRAINING.name, subjects.training_job_filter(job), since_index, limit
    )
    events = [simpletuner_payload(event) | {"index": sequence} for sequence, event in found]
    return {"events": events, "job_id": job, "next_index": found[-1][0] if found else since_index}


async def _stream(bus: Bus, job_id: str, after: int | None) -> AsyncIterator[tuple[int, events_pb2.Event]]:
    """Stored then live events: after `after` when resuming, else a job's from its start, else new ones."""
    subject = subjects.training_job_filter(job_id) if job_id else streams.TRAINING.subjects[0]
    if after is not None:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1)
    elif job_id:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    else:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    subscription = await bus.js.subscribe(subject, stream=streams.TRAINING.name, ordered_consumer=True, config=config)
    try:
        async for message in subscription.messages:
            yield int(message.metadata.sequence.stream), events_pb2.Event.FromString(message.data)
    finally:
        await subscription.unsubscribe()


async def _visible_frames(
    clients: ServiceClients, principal: Principal, job_id: str, after: int | None
) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    visibility = JobVisibility(clients, principal)
    async for sequence, event in _stream(clients.require_bus(), job_id, after):
        if await visibility.allows(_job_of(event)):
            yield sequence, simpletuner_payload(event)


@router.get("/events/stream", response_class=EventSourceResponse)
async def events_stream(
    request: Request,
    clients: ClientsDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(requires(PERMISSION_JOB_VIEW_OWN))],
    last_event_id: Annotated[int | None, Header(description="Resume after this index.")] = None,
    since: SinceQuery = None,
    job_id: Annotated[str, Query(description="Only this job (default: every job you may see).")] = "",
) -> EventSourceResponse:
    """Live training events as Server-Sent Events (a WebSocket on the same path sends the same events).

    Each frame's `id:` is its index and `event:` its type (training.progress, lifecycle.stage,
    validation.image, ...); `data:` is the event's JSON. Reconnect with `Last-Event-ID` (or `?since=`) to
    continue exactly after the last frame. With `job_id` a new stream starts at that job's first event;
    without it, at the next event. Comment lines are heartbeats.
    """
    if job_id:
        await _visible_job(clients, job_id)
    after = last_event_id if last_event_id is not None else since

    async def frames() -> AsyncIterator[ServerSentEvent]:
        async for sequence, payload in _visible_frames(clients, principal, job_id, after):
            yield ServerSentEvent(data=json.dumps(payload), event=payload["type"], id=str(sequence))

    return EventSourceResponse(frames(), ping=settings.sse_heartbeat_seconds, headers=NO_BUFFERING)


@router.websocket("/events/stream")
async def events_socket(websocket: WebSocket, since: SinceQuery = None, job_id: str = "") -> None:
    """The same events as JSON frames `{job_id, index, event}`; authenticate with X-API-Key or the session."""
    clients: ServiceClients = websocket.app.state.clients
    try:
        principal = await authenticate(websocket)
    except HTTPException as exc:
        await websocket.close(code=4000 + exc.status_code, reason=str(exc.detail))
        return
    if principal is None or not principal.holds(VIEW_OWN):
        await websocket.close(code=4401 if principal is None else 4403, reason=f"this needs {VIEW_OWN}")
        return
    header = websocket.headers.get("last-event-id")
    after = int(header) if header and header.isdigit() else since
    await websocket.accept()
    try:
        async for sequence, payload in _visible_frames(clients, principal, job_id, after):
            await websocket.send_json({"job_id": payload["job_id"], "index": sequence, "event": payload})
    except WebSocketDisconnect:
        return
