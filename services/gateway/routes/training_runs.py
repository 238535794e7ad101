"""Training runs (/api/training): start from form fields, status, stop, cancel, validate/checkpoint now, checkpoints."""

from __future__ import annotations

import html
import json
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from simpletuner.api.common.v1.access_pb2 import (
    PERMISSION_JOB_CANCEL_OWN,
    PERMISSION_JOB_SUBMIT,
    PERMISSION_JOB_VIEW_OWN,
)
from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.api.scheduler.v1 import scheduler_pb2
from simpletuner.api.trainer.v1 import trainer_pb2
from simpletuner.libs.bus.payloads import stage_word, status_word

from ..deps import ClientsDep
from ..errors import rpc_error_body
from ..security import requires
from .training_forms import form_fields, wants_html

router = APIRouter(prefix="/api/training", tags=["training"])

JobIdQuery = Annotated[str, Query(description="The job (default: your latest, or your running one).")]


def _percent(done: float, total: float) -> float:
    return round(100.0 * done / total, 2) if total else 0.0


def progress_body(run: trainer_pb2.TrainingRun) -> dict[str, Any] | None:
    if not run.HasField("progress"):
        return None
    p = run.progress
    return {
        "percent": _percent(p.step, p.total_steps),
        "step": p.step,
        "total_steps": p.total_steps,
        "epoch": p.epoch,
        "total_epochs": p.total_epochs,
        "loss": p.loss,
        "learning_rate": p.learning_rate,
        "steps_per_second": p.steps_per_second,
        "eta_seconds": p.eta_seconds,
    }


def status_body(run: trainer_pb2.TrainingRun | None) -> dict[str, Any]:
    """SimpleTuner's GET /api/training/status shape."""
    if run is None:
        return {"status": "idle", "job_id": None, "job_info": {}, "progress": None, "startup_progress": {}}
    status = status_word(run.status)
    return {
        "status": status,
        "job_id": run.job_id,
        "job_info": {
            "status": status,
            "status_detail": run.message,
            "message": run.message,
            "error": run.message if run.status == ev.TRAINING_STATUS_FAILED else None,
            "log_tail": run.log_tail,
            "environment": run.environment or None,
            "model_family": run.model_family,
            "owner": run.owner_name,
            "output_dir": run.output_dir,
            "exit_code": run.exit_code,
            "started_at": run.create_time.ToJsonString() if run.HasField("create_time") else None,
            "ended_at": run.end_time.ToJsonString() if run.HasField("end_time") else None,
        },
        "progress": progress_body(run),
        "startup_progress": {
            stage.key: {
                "label": stage.label,
                "progress_type": "determinate" if stage.total else "indeterminate",
                "status": stage_word(stage.status),
                "percent": 100.0 if stage.status == ev.STAGE_STATUS_COMPLETED else _percent(stage.current, stage.total),
                "current": stage.current,
                "total": stage.total,
            }
            for stage in run.stages
        },
        "config": json.loads(run.config_json or "{}"),
    }


async def _start(request: Request, clients: ClientsDep) -> Response:
    """Through the queue like every job: it starts now when GPUs fit, else waits its turn."""
    form = await form_fields(request)
    reply = await clients.scheduler.SubmitJob(
        scheduler_pb2.SubmitJobRequest(
            fields=form.fields,
            config_name=form.environment,
            use_environment_defaults=form.use_defaults,
            disabled_fields=form.disabled,
            save_to_environment=True,
            request_id=request.headers.get("idempotency-key", ""),
        )
    )
    warnings = [{"field": w.field, "message": w.message} for w in reply.warnings]
    if not reply.accepted:
        errors = [{"field": e.field, "message": e.message} for e in reply.errors]
        body = {"success": False, "message": "Cannot Start Training", "errors": errors, "warnings": warnings}
        return HTMLResponse(_problems_fragment(errors)) if wants_html(request) else JSONResponse(body, 400)
    job = reply.job
    queued = job.status == scheduler_pb2.JOB_STATUS_QUEUED
    if job.status == scheduler_pb2.JOB_STATUS_REJECTED:
        body = {
            "success": False,
            "status": "rejected",
            "job_id": job.job_id,
            "message": "Training Rejected",
            "reason": job.message,
            "warnings": warnings,
        }
        rejected = f"<strong>Training Rejected</strong> {html.escape(job.message)}"
        return (
            HTMLResponse(f'<div class="alert alert-danger" role="alert">{rejected}</div>')
            if wants_html(request)
            else JSONResponse(body, 409)
        )
    message = f"Training Queued: position {job.queue_position}" if queued else f"Training Starting: job {job.job_id}"
    body = {
        "success": True,
        "status": "queued" if queued else "starting",
        "job_id": job.job_id,
        "message": message,
        "queue_position": job.queue_position or None,
        "allocated_gpus": list(job.allocated_gpus),
        "environment": job.config_name or None,
        "saved_to_environment": reply.saved_to_environment,
        "warnings": warnings,
    }
    if wants_html(request):
        if queued:
            text = f"<strong>Training Queued</strong> Job ID: {job.job_id}, position {job.queue_position}"
            return HTMLResponse(f'<div class="alert alert-info" role="status">{text}</div>')
        starting = f"<strong>Training Starting</strong> Job ID: {job.job_id}"
        return HTMLResponse(f'<div class="alert alert-success" role="status">{starting}</div>')
    return JSONResponse(body)


def _problems_fragment(errors: list[dict[str, str]]) -> str:
    items = "".join(f"<li><code>--{html.escape(e['field'])}</code>: {html.escape(e['message'])}</li>" for e in errors)
    return f'<div class="alert alert-danger" role="alert"><strong>Cannot Start Training</strong><ul>{items}</ul></div>'


@router.post("/start", dependencies=[Depends(requires(PERMISSION_JOB_SUBMIT))])
async def start(request: Request, clients: ClientsDep) -> Response:
    """Validate form fields (`-F --option=value`, as /validate takes them) and start a run.

    The fields are merged over your active environment (and the Default environment unless
    `merge_environment_config=false`) and written into it. Send `Idempotency-Key` to make retries safe.
    JSON `{success, status, job_id, message, ...}`; 400 with `errors` when the config cannot train.
    """
    return await _start(request, clients)


@router.post("/configuration/run", dependencies=[Depends(requires(PERMISSION_JOB_SUBMIT))])
async def configuration_run(request: Request, clients: ClientsDep) -> Response:
    """The same as POST /api/training/start (SimpleTuner's older path)."""
    return await _start(request, clients)


@router.get("/status", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def status(clients: ClientsDep, job_id: JobIdQuery = "") -> dict[str, Any]:
    """The state of a run: `{status, job_id, job_info, progress, startup_progress, config}`.

    `status` is idle (no run yet), starting, running, completed, failed, cancelled or stopped.
    """
    try:
        reply = await clients.trainer.GetTrainingStatus(trainer_pb2.GetTrainingStatusRequest(job_id=job_id))
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND and not job_id:
            return status_body(None)
        raise
    return status_body(reply.run)


@router.get("/runs", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def runs(clients: ClientsDep, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Runs you may see, newest first."""
    reply = await clients.trainer.ListTrainingRuns(trainer_pb2.ListTrainingRunsRequest(limit=limit))
    return {"runs": [status_body(run) for run in reply.runs]}


async def _job_id(request: Request) -> str:
    """`job_id` from a form, a JSON body or the query string (all optional)."""
    if "application/json" in request.headers.get("content-type", ""):
        body = await request.json()
        return str(body.get("job_id") or "") if isinstance(body, dict) else ""
    if request.headers.get("content-type", "").startswith(("multipart/", "application/x-www-form-urlencoded")):
        return str((await request.form()).get("job_id") or "")
    return request.query_params.get("job_id", "")


def _no_job(exc: grpc.aio.AioRpcError) -> JSONResponse:
    """The seeds promise 400 when no job runs (rather than 404/409)."""
    return JSONResponse(rpc_error_body(exc), status_code=400)


def _steering_errors(exc: grpc.aio.AioRpcError) -> JSONResponse:
    if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
        return _no_job(exc)
    raise exc


@router.post("/stop", dependencies=[Depends(requires(PERMISSION_JOB_CANCEL_OWN))])
async def stop(request: Request, clients: ClientsDep) -> Response:
    """Stop gracefully: the run finishes its step, saves a checkpoint and ends as `stopped`."""
    try:
        reply = await clients.trainer.StopTraining(trainer_pb2.StopTrainingRequest(job_id=await _job_id(request)))
    except grpc.aio.AioRpcError as exc:
        return _steering_errors(exc)
    return JSONResponse({"message": f"Training job {reply.run.job_id} stop requested", "job_id": reply.run.job_id})


@router.post("/cancel", dependencies=[Depends(requires(PERMISSION_JOB_CANCEL_OWN))])
async def cancel(request: Request, clients: ClientsDep) -> Response:
    """Kill the run's process tree now, without saving (form field `job_id`, optional)."""
    try:
        reply = await clients.trainer.CancelTraining(trainer_pb2.CancelTrainingRequest(job_id=await _job_id(request)))
    except grpc.aio.AioRpcError as exc:
        return _steering_errors(exc)
    body = {"message": f"Training job {reply.run.job_id} cancelled", "job_id": reply.run.job_id}
    return JSONResponse(body | {"status": status_word(reply.run.status)})


async def _queue_now(request: Request, trigger: Any, what: str) -> Response:
    """Validation or a checkpoint after the next gradient sync; 400 when no job runs."""
    try:
        reply = await trigger(await _job_id(request))
    except grpc.aio.AioRpcError as exc:
        return _steering_errors(exc)
    return JSONResponse({"message": f"{what} queued for the next gradient sync.", "job_id": reply.job_id})


@router.post("/validation/run", dependencies=[Depends(requires(PERMISSION_JOB_SUBMIT))])
async def validation_run(request: Request, clients: ClientsDep) -> Response:
    """Validate after the next gradient sync (`{job_id}` optional). 400 when no job runs."""

    def trigger(job_id: str) -> Any:
        return clients.trainer.TriggerValidation(trainer_pb2.TriggerValidationRequest(job_id=job_id))

    return await _queue_now(request, trigger, "Validation")


@router.post("/checkpoint/run", dependencies=[Depends(requires(PERMISSION_JOB_SUBMIT))])
async def checkpoint_run(request: Request, clients: ClientsDep) -> Response:
    """Save a checkpoint after the next gradient sync (`{job_id}` optional). 400 when no job runs."""

    def trigger(job_id: str) -> Any:
        return clients.trainer.TriggerCheckpoint(trainer_pb2.TriggerCheckpointRequest(job_id=job_id))

    return await _queue_now(request, trigger, "Checkpoint")


async def _checkpoints(clients: ClientsDep, job_id: str) -> dict[str, Any]:
    reply = await clients.trainer.ListCheckpoints(trainer_pb2.ListCheckpointsRequest(job_id=job_id))
    found = [
        {
            "name": c.name,
            "path": c.path,
            "step": c.step,
            "global_step": c.step,
            "timestamp": c.create_time.ToJsonString(),
            "is_latest": c.is_latest,
        }
        for c in reply.checkpoints
    ]
    return {"output_dir": reply.output_dir, "checkpoints": found, "total": len(found)}


@router.get("/checkpoints", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def checkpoints(clients: ClientsDep, job_id: JobIdQuery = "") -> dict[str, Any]:
    """The complete checkpoints of a run's output folder, newest first."""
    return await _checkpoints(clients, job_id)


@router.post("/checkpoints", dependencies=[Depends(requires(PERMISSION_JOB_VIEW_OWN))])
async def checkpoints_post(request: Request, clients: ClientsDep) -> dict[str, Any]:
    """The same list for clients that POST (`{job_id}` optional)."""
    return await _checkpoints(clients, await _job_id(request))
