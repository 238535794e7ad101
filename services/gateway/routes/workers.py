"""Remote workers: the admins' registry (/api/admin/workers) and the workers' own calls (/api/workers/*).

A worker proves itself with its X-Worker-Token; the gateway relays its calls to the scheduler under the
gateway's own service identity, and the scheduler checks the token and the lease (attempt) of every call.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from google.protobuf import json_format
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_ADMIN_WORKERS
from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb
from simpletuner.libs import context
from simpletuner.libs.bus.events import event_type
from simpletuner.libs.bus.subjects import TRAINING_KINDS, training_subject

from ..deps import ClientsDep
from ..security import WORKER_TOKEN_HEADER, requires, worker_token
from .queue import job_body

admin = APIRouter(prefix="/api/admin/workers", tags=["workers"])
agent = APIRouter(prefix="/api/workers", tags=["workers"])

STATUS_WORDS = {
    pb.WORKER_STATUS_CONNECTING: "connecting",
    pb.WORKER_STATUS_IDLE: "idle",
    pb.WORKER_STATUS_BUSY: "busy",
    pb.WORKER_STATUS_DRAINING: "draining",
    pb.WORKER_STATUS_OFFLINE: "offline",
}
STATUS_BY_WORD = {word: number for number, word in STATUS_WORDS.items()}
AdminOnly = [Depends(requires(PERMISSION_ADMIN_WORKERS))]
WorkerOnly = [Depends(worker_token())]
TokenHeader = Annotated[str, Header(alias=WORKER_TOKEN_HEADER)]  # required: worker_token() checked it is there


def worker_body(worker: pb.Worker) -> dict[str, Any]:
    beat = worker.last_heartbeat.ToJsonString() if worker.HasField("last_heartbeat") else None
    status = STATUS_WORDS.get(worker.status, "unknown")
    return {
        "worker_id": worker.worker_id,
        "name": worker.name,
        "worker_type": worker.worker_type,
        "status": status,
        "gpu_name": worker.gpu_name or None,
        "gpu_count": worker.gpu_count,
        "gpu_info": {"name": worker.gpu_name or None, "count": worker.gpu_count},
        "labels": dict(worker.labels),
        "current_job_id": worker.current_job_id or None,
        "last_heartbeat": beat,
        "created_at": worker.create_time.ToJsonString(),
        "connected": status in ("idle", "busy", "draining"),
    }


def orchestrator_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class NewWorker(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    worker_type: Literal["persistent", "ephemeral"] = "persistent"
    labels: dict[str, str] = Field(default_factory=dict)


@admin.get("", dependencies=AdminOnly)
async def list_workers(
    clients: ClientsDep, status_filter: Annotated[str | None, Query(description="Only this state.")] = None
) -> dict[str, Any]:
    """Every worker: state, GPUs, labels, current job and last heartbeat."""
    statuses = [STATUS_BY_WORD[status_filter]] if status_filter in STATUS_BY_WORD else []
    reply = await clients.scheduler.ListWorkers(pb.ListWorkersRequest(statuses=statuses))
    return {"workers": [worker_body(worker) for worker in reply.workers], "total": len(reply.workers)}


@admin.post("", status_code=201, dependencies=AdminOnly)
async def create_worker(body: NewWorker, request: Request, clients: ClientsDep) -> dict[str, Any]:
    """A new worker: its token is shown this once, with the command that connects it."""
    reply = await clients.scheduler.CreateWorker(
        pb.CreateWorkerRequest(
            name=body.name, worker_type=body.worker_type, labels=body.labels, orchestrator_url=orchestrator_url(request)
        )
    )
    return {
        "worker_id": reply.worker.worker_id,
        "token": reply.token,
        "connection_command": reply.connection_command,
        "worker": worker_body(reply.worker),
    }


async def _change(
    clients: ClientsDep, worker_id: str, change: pb.WorkerChange, request: Request
) -> pb.ChangeWorkerResponse:
    return await clients.scheduler.ChangeWorker(
        pb.ChangeWorkerRequest(worker_id=worker_id, change=change, orchestrator_url=orchestrator_url(request))
    )


@admin.delete("/{worker_id}", dependencies=AdminOnly)
async def remove_worker(worker_id: str, request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Remove a worker; the job it ran goes back to the queue."""
    await _change(clients, worker_id, pb.WORKER_CHANGE_REMOVE, request)
    return {"success": True, "worker_id": worker_id}


@admin.post("/{worker_id}/drain", dependencies=AdminOnly)
async def drain_worker(worker_id: str, request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Let a worker finish its job and take no other."""
    reply = await _change(clients, worker_id, pb.WORKER_CHANGE_DRAIN, request)
    return {"success": True, "worker": worker_body(reply.worker)}


@admin.post("/{worker_id}/token", dependencies=AdminOnly)
async def rotate_token(worker_id: str, request: Request, clients: ClientsDep) -> dict[str, Any]:
    """A new token for a worker (shown once); the old one stops working."""
    reply = await _change(clients, worker_id, pb.WORKER_CHANGE_ROTATE_TOKEN, request)
    return {"worker_id": worker_id, "token": reply.token, "connection_command": reply.connection_command}


async def _worker_call(clients: ClientsDep, request: pb.WorkerCallRequest) -> dict[str, Any]:
    token = context.caller_token.set("")  # the gateway's own identity: a worker is not a user
    try:
        reply = await clients.scheduler.WorkerCall(request)
    finally:
        context.caller_token.reset(token)
    lease = reply.lease_expire_time.ToJsonString() if reply.HasField("lease_expire_time") else None
    return {
        "worker_id": reply.worker.worker_id,
        "worker": worker_body(reply.worker),
        "job": job_body(reply.job) if reply.HasField("job") else None,
        "config": reply.config_json or None,
        "lease_expires_at": lease,
        "abandon": reply.abandon,
        "shutdown": reply.shutdown,
    }


class Registration(BaseModel):
    gpu_name: str = Field("", max_length=255)
    gpu_count: int = Field(0, ge=0, le=1024)
    labels: dict[str, str] = Field(default_factory=dict, description="Replace the labels it was created with.")


@agent.post("/register", dependencies=WorkerOnly)
async def register(body: Registration, clients: ClientsDep, token: TokenHeader) -> dict[str, Any]:
    """Connect (or reconnect) with this machine's GPUs; a job it still holds comes back as `job`."""
    request = pb.WorkerCallRequest(
        token=token,
        action=pb.WORKER_ACTION_REGISTER,
        gpu_name=body.gpu_name,
        gpu_count=body.gpu_count,
        labels=body.labels,
    )
    return await _worker_call(clients, request)


class Heartbeat(BaseModel):
    job_id: str = ""
    attempt: int = Field(0, ge=0)


@agent.post("/heartbeat", dependencies=WorkerOnly)
async def heartbeat(body: Heartbeat, clients: ClientsDep, token: TokenHeader) -> dict[str, Any]:
    """Still alive; renews the lease of the job it runs. `abandon: true` means stop that job now."""
    request = pb.WorkerCallRequest(
        token=token, action=pb.WORKER_ACTION_HEARTBEAT, job_id=body.job_id, attempt=body.attempt
    )
    return await _worker_call(clients, request)


@agent.post("/claim", dependencies=WorkerOnly)
async def claim(clients: ClientsDep, token: TokenHeader) -> dict[str, Any]:
    """Take the best queued job this worker matches, under a lease (`job` is null when there is none). A job that
    pushes to the Hub comes with its owner's Hub token (`hub_token`), which the run uploads with."""
    answer = await _worker_call(clients, pb.WorkerCallRequest(token=token, action=pb.WORKER_ACTION_CLAIM))
    config = json.loads(answer["config"] or "{}")
    answer["hub_token"] = None
    if answer["job"] is not None and config.get("push_to_hub"):
        request = auth_pb2.ResolveHubTokenRequest(user_id=answer["job"]["owner_id"])
        answer["hub_token"] = (await clients.auth.ResolveHubToken(request)).token or None
    return answer


class JobReport(BaseModel):
    status: Literal["completed", "failed", "stopped", "cancelled"]
    attempt: int = Field(ge=1)
    message: str = Field("", max_length=4000)


@agent.post("/job/{job_id}/status", dependencies=WorkerOnly)
async def report(job_id: str, body: JobReport, clients: ClientsDep, token: TokenHeader) -> dict[str, Any]:
    """How the job of this attempt ended; a stale attempt's report is refused (`abandon: true`)."""
    request = pb.WorkerCallRequest(
        token=token,
        action=pb.WORKER_ACTION_REPORT,
        job_id=job_id,
        attempt=body.attempt,
        status=body.status,
        message=body.message,
    )
    return await _worker_call(clients, request)


class EventBatch(BaseModel):
    attempt: int = Field(ge=1)
    events: list[str] = Field(default_factory=list, max_length=1000, description="Events as protobuf JSON.")


@agent.post("/job/{job_id}/events", dependencies=WorkerOnly)
async def relay_events(job_id: str, body: EventBatch, clients: ClientsDep, token: TokenHeader) -> dict[str, Any]:
    """A running job's new events, published on the bus under their own ids (a resent batch is stored once).
    Renews the lease like a heartbeat; a stale attempt's events are refused (`abandon: true`)."""
    events = [_event(text, job_id) for text in body.events]
    beat = await _worker_call(
        clients,
        pb.WorkerCallRequest(token=token, action=pb.WORKER_ACTION_HEARTBEAT, job_id=job_id, attempt=body.attempt),
    )
    if beat["abandon"]:
        return beat | {"accepted": 0}
    bus = clients.require_bus()
    for event in events:
        await bus.publish(training_subject(job_id, event_type(event)), event)
    return beat | {"accepted": len(events)}


def _event(text: str, job_id: str) -> ev.Event:
    try:
        event = json_format.Parse(text, ev.Event())
    except json_format.ParseError as exc:
        raise HTTPException(422, f"an event is not protobuf JSON of simpletuner.api.events.v1.Event: {exc}") from None
    kind = event.WhichOneof("payload")
    if kind not in TRAINING_KINDS or getattr(event, kind).job_id != job_id or not event.id:
        raise HTTPException(422, f"only training events of job {job_id}, each with its id, may be relayed")
    return event
