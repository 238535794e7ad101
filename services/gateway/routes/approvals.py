"""Approvals (/api/approvals and /api/queue/{job_id}/approve|reject) and a user's quotas (/api/quotas/me)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from simpletuner.api.common.v1.access_pb2 import (
    PERMISSION_ADMIN_APPROVE,
    PERMISSION_JOB_VIEW_OWN,
    PERMISSION_QUEUE_APPROVE,
)
from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb

from ..deps import ClientsDep
from ..security import requires
from .queue import job_body

router = APIRouter(prefix="/api/approvals", tags=["approvals"])
decisions = APIRouter(prefix="/api/queue", tags=["queue"])
quotas = APIRouter(prefix="/api/quotas", tags=["quotas"])

CONDITIONS = {
    "cost_exceeds": "the job's estimated cost (GPUs x hours x GPU-hour rate) is above `threshold`",
    "gpus_exceed": "the job asks for more than `threshold` GPUs",
    "first_job": "the submitter has never submitted a job",
    "config_pattern": "the environment's name matches the glob `pattern`",
}


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


class Decision(BaseModel):
    reason: str = Field("", max_length=500, description="Shown to the submitter.")


async def _decide(clients: ClientsDep, job_id: str, approve: bool, body: Decision | None) -> dict[str, Any]:
    request = pb.DecideJobRequest(job_id=job_id, approve=approve, reason=body.reason if body else "")
    job = (await clients.scheduler.DecideJob(request)).job
    return {"success": True, "job_id": job.job_id, "status": job_body(job)["status"], "job": job_body(job)}


@decisions.post("/{job_id}/approve", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def approve(job_id: str, clients: ClientsDep, body: Decision | None = None) -> dict[str, Any]:
    """Let a job waiting for approval join the queue."""
    return await _decide(clients, job_id, True, body)


@decisions.post("/{job_id}/reject", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def reject(job_id: str, clients: ClientsDep, body: Decision | None = None) -> dict[str, Any]:
    """Refuse a job waiting for approval."""
    return await _decide(clients, job_id, False, body)


@router.post("/requests/{job_id}/approve", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def approve_request(job_id: str, clients: ClientsDep, body: Decision | None = None) -> dict[str, Any]:
    """The same as POST /api/queue/{job_id}/approve (a job's approval request has the job's id)."""
    return await _decide(clients, job_id, True, body)


@router.post("/requests/{job_id}/reject", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def reject_request(job_id: str, clients: ClientsDep, body: Decision | None = None) -> dict[str, Any]:
    """The same as POST /api/queue/{job_id}/reject."""
    return await _decide(clients, job_id, False, body)


async def _pending(clients: ClientsDep) -> list[pb.Job]:
    request = pb.ListJobsRequest(statuses=[pb.JOB_STATUS_PENDING_APPROVAL], limit=200)
    return list((await clients.scheduler.ListJobs(request)).jobs)


@router.get("/requests", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def requests(clients: ClientsDep) -> dict[str, Any]:
    """Jobs waiting for a decision, with why they wait and when the request expires."""
    pending = await _pending(clients)
    return {"requests": [job_body(job) for job in pending], "total": len(pending)}


@router.get("/requests/pending/count", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def pending_count(clients: ClientsDep) -> dict[str, int]:
    return {"count": len(await _pending(clients))}


def rule_body(rule: pb.ApprovalRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "condition": rule.condition,
        "threshold": rule.threshold,
        "pattern": rule.pattern or None,
        "enabled": rule.enabled,
    }


@router.get("/conditions", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def conditions() -> dict[str, str]:
    """What each rule condition means."""
    return CONDITIONS


@router.get("/rules", dependencies=needs(PERMISSION_QUEUE_APPROVE))
async def rules(clients: ClientsDep) -> list[dict[str, Any]]:
    reply = await clients.scheduler.ListApprovalRules(pb.ListApprovalRulesRequest())
    return [rule_body(rule) for rule in reply.rules]


class NewRule(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    condition: Literal["cost_exceeds", "gpus_exceed", "first_job", "config_pattern"]
    threshold: float = Field(0.0, ge=0)
    pattern: str = Field("", max_length=255)
    enabled: bool = True


@router.post("/rules", status_code=201, dependencies=needs(PERMISSION_ADMIN_APPROVE))
async def create_rule(body: NewRule, clients: ClientsDep) -> dict[str, Any]:
    """Make matching submissions wait for an approver (leads and admins)."""
    reply = await clients.scheduler.CreateApprovalRule(
        pb.CreateApprovalRuleRequest(rule=pb.ApprovalRule(**body.model_dump()))
    )
    return rule_body(reply.rule)


@router.delete("/rules/{rule_id}", dependencies=needs(PERMISSION_ADMIN_APPROVE))
async def delete_rule(rule_id: str, clients: ClientsDep) -> dict[str, Any]:
    await clients.scheduler.DeleteApprovalRule(pb.DeleteApprovalRuleRequest(id=rule_id))
    return {"success": True, "id": rule_id}


@quotas.get("/me", dependencies=needs(PERMISSION_JOB_VIEW_OWN))
async def my_quotas(clients: ClientsDep) -> dict[str, Any]:
    """The ceilings that bind you (the lowest of yours, your teams' and organisations'), with what you use."""
    reply = await clients.scheduler.GetQuotaUsage(pb.GetQuotaUsageRequest())
    return {
        "quotas": [
            {
                "quota_type": quota.quota_type,
                "limit": quota.limit,
                "used": quota.used,
                "remaining": max(0.0, quota.limit - quota.used),
                "action": quota.action,
                "scope": quota.scope,
                "scope_id": quota.scope_id,
            }
            for quota in reply.quotas
        ],
        "gpu_hour_rate": reply.gpu_hour_rate,
    }
