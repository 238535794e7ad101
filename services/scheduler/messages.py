"""Job rows and limits as proto messages, and the names of states, targets and priorities."""

from __future__ import annotations

import json

from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb
from simpletuner.libs.timestamps import timestamp

from .models import Job
from .policy import CRITICAL, HIGH, LOW, NORMAL, URGENT, Limits

STATUS_NUMBERS = {
    "pending_approval": pb.JOB_STATUS_PENDING_APPROVAL,
    "queued": pb.JOB_STATUS_QUEUED,
    "running": pb.JOB_STATUS_RUNNING,
    "completed": pb.JOB_STATUS_COMPLETED,
    "failed": pb.JOB_STATUS_FAILED,
    "cancelled": pb.JOB_STATUS_CANCELLED,
    "rejected": pb.JOB_STATUS_REJECTED,
    "stopped": pb.JOB_STATUS_STOPPED,
}
STATUS_NAMES = {number: name for name, number in STATUS_NUMBERS.items()}
TARGET_NUMBERS = {"auto": pb.TARGET_AUTO, "local": pb.TARGET_LOCAL, "worker": pb.TARGET_WORKER}
TARGET_NAMES = {number: name for name, number in TARGET_NUMBERS.items()} | {pb.TARGET_UNSPECIFIED: "auto"}
PRIORITY_VALUES = {
    pb.PRIORITY_LOW: LOW,
    pb.PRIORITY_NORMAL: NORMAL,
    pb.PRIORITY_HIGH: HIGH,
    pb.PRIORITY_URGENT: URGENT,
    pb.PRIORITY_CRITICAL: CRITICAL,
}


def indices(text: str) -> list[int]:
    """ "0,1" -> [0, 1]."""
    return [int(part) for part in text.split(",") if part.strip()]


def job_message(job: Job, effective: int, position: int = 0) -> pb.Job:
    message = pb.Job(
        job_id=job.id,
        config_name=job.config_name,
        owner_id=job.owner_id,
        owner_name=job.owner_name,
        team_id=job.team_key.removeprefix("team:") if job.team_key.startswith("team:") else "",
        status=STATUS_NUMBERS[job.status],
        base_priority=job.base_priority,
        effective_priority=effective,
        target=TARGET_NUMBERS.get(job.target, pb.TARGET_AUTO),
        worker_labels=json.loads(job.worker_labels_json or "{}"),
        any_gpu=job.any_gpu,
        gpu_count=job.gpu_count,
        preferred_gpus=indices(job.preferred_gpus),
        allocated_gpus=indices(job.allocated_gpus),
        placement=job.placement,
        attempt=job.attempt,
        message=job.message,
        queue_position=position,
        create_time=timestamp(job.submitted_at),
        model_family=job.model_family,
        estimated_cost=job.estimated_cost,
    )
    if job.priority_override is not None:
        message.priority_override = job.priority_override
    stamps = (
        ("start_time", job.started_at),
        ("end_time", job.ended_at),
        ("approval_expire_time", job.approval_expires_at),
    )
    for field, value in stamps:
        if (stamp := timestamp(value)) is not None:
            getattr(message, field).CopyFrom(stamp)
    return message


def limits_message(limits: Limits) -> pb.ConcurrencyLimits:
    message = pb.ConcurrencyLimits(
        max_concurrent=limits.max_concurrent,
        user_max_concurrent=limits.user_max_concurrent,
        team_max_concurrent=limits.team_max_concurrent,
        enable_fair_share=limits.enable_fair_share,
        local_job_max_concurrent=limits.local_job_max_concurrent,
    )
    if limits.local_gpu_max_concurrent is not None:
        message.local_gpu_max_concurrent = limits.local_gpu_max_concurrent
    return message
