"""The shared GPU queue (/api/queue): submit, list, stats, limits, cancel, priority, cleanup."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simpletuner.api.common.v1.access_pb2 import (
    PERMISSION_JOB_SUBMIT,
    PERMISSION_QUEUE_CANCEL_OWN,
    PERMISSION_QUEUE_MANAGE,
    PERMISSION_QUEUE_VIEW,
    PERMISSION_QUEUE_VIEW_ALL,
)
from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb

from ..deps import ClientsDep
from ..security import Principal, requires

router = APIRouter(prefix="/api/queue", tags=["queue"])

STATUS_WORDS = {
    pb.JOB_STATUS_PENDING_APPROVAL: "pending_approval",
    pb.JOB_STATUS_QUEUED: "queued",
    pb.JOB_STATUS_RUNNING: "running",
    pb.JOB_STATUS_COMPLETED: "completed",
    pb.JOB_STATUS_FAILED: "failed",
    pb.JOB_STATUS_CANCELLED: "cancelled",
    pb.JOB_STATUS_REJECTED: "rejected",
    pb.JOB_STATUS_STOPPED: "stopped",
}
STATUS_BY_WORD = {word: number for number, word in STATUS_WORDS.items()}
TARGETS = {"auto": pb.TARGET_AUTO, "local": pb.TARGET_LOCAL, "worker": pb.TARGET_WORKER}
TARGET_WORDS = {number: word for word, number in TARGETS.items()} | {pb.TARGET_UNSPECIFIED: "auto"}
PRIORITIES = {
    "low": pb.PRIORITY_LOW,
    "normal": pb.PRIORITY_NORMAL,
    "high": pb.PRIORITY_HIGH,
    "urgent": pb.PRIORITY_URGENT,
    "critical": pb.PRIORITY_CRITICAL,
}
WORKER_STATES = ("idle", "busy", "offline", "draining", "connecting")
PriorityName = Literal["low", "normal", "high", "urgent", "critical"]


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


def priority_word(value: int) -> str:
    """The level a numeric priority falls in (0-9 low, 10-19 normal, ..., 40+ critical)."""
    return tuple(PRIORITIES)[min(max(value, 0) // 10, 4)]


def worker_of(job: pb.Job) -> str | None:
    """The worker a job runs on ("worker:<id>" placements), else None."""
    return job.placement.removeprefix("worker:") if job.placement.startswith("worker:") else None


def job_body(job: pb.Job) -> dict[str, Any]:
    """A job as the queue API shows it."""
    stamp = {
        name: getattr(job, f"{name}_time").ToJsonString() if job.HasField(f"{name}_time") else None
        for name in ("create", "start", "end")
    }
    return {
        "job_id": job.job_id,
        "config_name": job.config_name or None,
        "status": STATUS_WORDS.get(job.status, "unknown"),
        "owner_id": job.owner_id,
        "owner": job.owner_name,
        "team_id": job.team_id or None,
        "priority": job.effective_priority,
        "priority_name": priority_word(job.effective_priority),
        "base_priority": job.base_priority,
        "priority_override": job.priority_override if job.HasField("priority_override") else None,
        "queue_position": job.queue_position or None,
        "target": TARGET_WORDS.get(job.target, "auto"),
        "worker_labels": dict(job.worker_labels),
        "any_gpu": job.any_gpu,
        "gpu_count": job.gpu_count,
        "preferred_gpus": list(job.preferred_gpus),
        "allocated_gpus": list(job.allocated_gpus),
        "placement": job.placement or None,
        "allocated_worker_id": worker_of(job),
        "attempt": job.attempt,
        "reason": job.message or None,
        "model_family": job.model_family or None,
        "estimated_cost": job.estimated_cost,
        "approval_expires_at": job.approval_expire_time.ToJsonString()
        if job.HasField("approval_expire_time")
        else None,
        "submitted_at": stamp["create"],
        "started_at": stamp["start"],
        "ended_at": stamp["end"],
    }


def submission_body(reply: pb.SubmitJobResponse) -> dict[str, Any]:
    """SimpleTuner's submit answer, plus the job itself."""
    job = reply.job
    status = STATUS_WORDS.get(job.status, "unknown")
    return {
        "success": status not in ("rejected", "failed"),
        "job_id": job.job_id or None,
        "status": status,
        "allocated_gpus": list(job.allocated_gpus),
        "allocated_worker_id": worker_of(job),
        "queue_position": job.queue_position or None,
        "requires_approval": job.status == pb.JOB_STATUS_PENDING_APPROVAL,
        "error": job.message if status == "rejected" else None,
        "reason": job.message or None,
        "replayed": reply.replayed,
        "warnings": [{"field": w.field, "message": w.message} for w in reply.warnings],
        "job": job_body(job),
    }


class Submission(BaseModel):
    config_name: str = Field(min_length=1, description="The environment to train.")
    no_wait: bool = Field(False, description="Refuse at once when no GPUs are free.")
    any_gpu: bool = Field(False, description="Take any free GPUs instead of the configured device ids.")
    target: Literal["auto", "local", "worker"] = "auto"
    worker_labels: dict[str, str] = Field(default_factory=dict, description="Glob patterns: {'gpu_type': 'a100*'}.")
    priority: PriorityName | None = Field(None, description="Above your level's default needs job.priority.high.")
    request_id: str | None = Field(None, max_length=128, description="The same id twice creates one job.")
    dry_run: bool = Field(False, description="Only say what would happen.")
    estimated_hours: float | None = Field(None, gt=0, description="Expected run time, for the cost estimate.")


@router.post("/submit", dependencies=needs(PERMISSION_JOB_SUBMIT))
async def submit(body: Submission, clients: ClientsDep) -> JSONResponse:
    """Queue an environment's training: `running` at once when GPUs fit, else `queued` (or `rejected`
    with no_wait). 400 with `errors` when the config cannot train."""
    reply = await clients.scheduler.SubmitJob(
        pb.SubmitJobRequest(
            config_name=body.config_name,
            no_wait=body.no_wait,
            any_gpu=body.any_gpu,
            target=TARGETS[body.target],
            worker_labels=body.worker_labels,
            priority=PRIORITIES[body.priority] if body.priority else pb.PRIORITY_UNSPECIFIED,
            request_id=body.request_id or "",
            dry_run=body.dry_run,
            estimated_hours=body.estimated_hours or 0.0,
        )
    )
    if reply.errors:
        errors = [{"field": e.field, "message": e.message} for e in reply.errors]
        rejected = {"success": False, "job_id": None, "status": "rejected", "error": "the config cannot train"}
        return JSONResponse(rejected | {"errors": errors, "reason": "; ".join(e["message"] for e in errors)}, 400)
    return JSONResponse(submission_body(reply) | {"dry_run": body.dry_run})


async def _list(
    clients: ClientsDep, statuses: list[str], include_completed: bool, owner: str, limit: int, offset: int
) -> dict[str, Any]:
    unknown = sorted(set(statuses) - set(STATUS_BY_WORD))
    if unknown:
        raise HTTPException(400, f"unknown status {unknown}; use one of {sorted(STATUS_BY_WORD)}")
    request = pb.ListJobsRequest(
        statuses=[STATUS_BY_WORD[s] for s in statuses],
        include_finished=include_completed,
        owner_id=owner,
        limit=limit,
        offset=offset,
    )
    reply = await clients.scheduler.ListJobs(request)
    return {"jobs": [job_body(job) for job in reply.jobs], "total": reply.total, "limit": limit, "offset": offset}


StatusQuery = Annotated[list[str], Query(alias="status", description="Only these states (repeatable).")]
LimitQuery = Annotated[int, Query(ge=1, le=200)]
OffsetQuery = Annotated[int, Query(ge=0)]


@router.get("", dependencies=needs(PERMISSION_QUEUE_VIEW))
async def list_jobs(
    clients: ClientsDep,
    status: StatusQuery = [],  # noqa: B006  (FastAPI copies query defaults)
    include_completed: bool = False,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Waiting and running jobs you may see (everyone's with queue.view.all), queued ones in start order."""
    return await _list(clients, status, include_completed, "", limit, offset)


QueueViewer = Annotated[Principal, Depends(requires(PERMISSION_QUEUE_VIEW))]


@router.get("/me")
async def my_jobs(
    clients: ClientsDep,
    principal: QueueViewer,
    include_completed: bool = True,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Your jobs, finished ones included."""
    return await _list(clients, [], include_completed, principal.user.id, limit, offset)


@router.get("/user/{user_id}", dependencies=needs(PERMISSION_QUEUE_VIEW_ALL))
async def user_jobs(
    user_id: str, clients: ClientsDep, include_completed: bool = True, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> dict[str, Any]:
    """Another user's jobs."""
    return await _list(clients, [], include_completed, user_id, limit, offset)


@router.get("/stats", dependencies=needs(PERMISSION_QUEUE_VIEW))
async def stats(clients: ClientsDep) -> dict[str, Any]:
    """Counts, the limits in force, the local GPUs (`local`) and the workers."""
    reply = await clients.scheduler.GetQueueStats(pb.GetQueueStatsRequest())
    limits = limits_body(reply.limits)
    local = reply.local
    return {
        "by_status": dict(reply.by_status),
        "by_user": dict(reply.by_user),
        "queue_depth": reply.queue_depth,
        "running": reply.running,
        "avg_wait_seconds": reply.avg_wait_seconds,
        **limits,
        "local": {
            "running_jobs": local.running_local_jobs,
            "pending_jobs": local.pending_local_jobs,
            "allocated_gpus": list(local.allocated_gpus),
            "available_gpus": list(local.available_gpus),
            "total_gpus": len(local.devices),
            "max_concurrent_gpus": limits["local_gpu_max_concurrent"],
            "max_concurrent_jobs": limits["local_job_max_concurrent"],
        },
        "workers": {
            "total_workers": sum(reply.workers_by_status.values()),
            **{f"{state}_workers": reply.workers_by_status.get(state, 0) for state in WORKER_STATES},
        },
    }


def limits_body(limits: pb.ConcurrencyLimits) -> dict[str, Any]:
    return {
        "max_concurrent": limits.max_concurrent,
        "user_max_concurrent": limits.user_max_concurrent,
        "team_max_concurrent": limits.team_max_concurrent,
        "enable_fair_share": limits.enable_fair_share,
        "local_gpu_max_concurrent": (
            limits.local_gpu_max_concurrent if limits.HasField("local_gpu_max_concurrent") else None
        ),
        "local_job_max_concurrent": limits.local_job_max_concurrent,
    }


class Concurrency(BaseModel):
    max_concurrent: int | None = Field(None, ge=1, le=100)
    user_max_concurrent: int | None = Field(None, ge=1, le=20)
    team_max_concurrent: int | None = Field(None, ge=1, le=50)
    enable_fair_share: bool | None = None
    local_gpu_max_concurrent: int | None = Field(None, ge=1, description="null: unlimited GPUs")
    local_job_max_concurrent: int | None = Field(None, ge=1, le=10)


@router.post("/concurrency", dependencies=needs(PERMISSION_QUEUE_MANAGE))
async def concurrency(body: Concurrency, clients: ClientsDep) -> dict[str, Any]:
    """Change the limits you send (local_gpu_max_concurrent null: unlimited); answers all six."""
    sent = body.model_dump(include=body.model_fields_set)
    request = pb.SetConcurrencyRequest(**{name: value for name, value in sent.items() if value is not None})
    request.clear_local_gpu_max_concurrent = (
        "local_gpu_max_concurrent" in sent and sent["local_gpu_max_concurrent"] is None
    )
    reply = await clients.scheduler.SetConcurrency(request)
    return limits_body(reply.limits)


@router.get("/position/{job_id}", dependencies=needs(PERMISSION_QUEUE_VIEW))
async def position(job_id: str, clients: ClientsDep) -> dict[str, Any]:
    """A job's 1-based place among the queued jobs (null once it left the queue)."""
    job = (await clients.scheduler.GetJob(pb.GetJobRequest(job_id=job_id))).job
    return {"job_id": job.job_id, "position": job.queue_position or None, "status": STATUS_WORDS.get(job.status)}


@router.get("/jobs/{job_id}", dependencies=needs(PERMISSION_QUEUE_VIEW))
async def get_job(job_id: str, clients: ClientsDep) -> dict[str, Any]:
    """One job."""
    return job_body((await clients.scheduler.GetJob(pb.GetJobRequest(job_id=job_id))).job)


@router.post("/{job_id}/cancel", dependencies=needs(PERMISSION_QUEUE_CANCEL_OWN))
async def cancel(job_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Cancel a waiting job, or kill a running one (its GPUs go to the next job)."""
    job = (await clients.scheduler.CancelJob(pb.CancelJobRequest(job_id=job_id))).job
    return {"success": True, "job_id": job.job_id, "status": STATUS_WORDS.get(job.status), "job": job_body(job)}


class PriorityChange(BaseModel):
    priority: int | None = Field(..., ge=0, le=50, description="The override, 0-50; null clears it.")


@router.post("/{job_id}/priority", dependencies=needs(PERMISSION_QUEUE_MANAGE))
async def set_priority(job_id: str, body: PriorityChange, clients: ClientsDep) -> dict[str, Any]:
    """Override a job's priority (admins), or clear the override with null."""
    request = pb.SetJobPriorityRequest(job_id=job_id)
    if body.priority is not None:
        request.priority = body.priority
    reply = await clients.scheduler.SetJobPriority(request)
    job = reply.job
    return {
        "success": True,
        "job_id": job.job_id,
        "previous_effective_priority": reply.previous_effective_priority,
        "new_effective_priority": job.effective_priority,
        "priority_override": job.priority_override if job.HasField("priority_override") else None,
    }


@router.post("/cleanup", dependencies=needs(PERMISSION_QUEUE_MANAGE))
async def cleanup(clients: ClientsDep, days: Annotated[int, Query(ge=1, le=3650)] = 30) -> dict[str, Any]:
    """Delete finished jobs that ended more than `days` ago."""
    reply = await clients.scheduler.CleanupJobs(pb.CleanupJobsRequest(days=days))
    return {"success": True, "deleted": reply.deleted, "days": reply.days}
