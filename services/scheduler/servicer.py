"""SchedulerService RPCs: proto messages in, domain calls, proto messages out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, TypeAlias

import grpc

from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb
from simpletuner.api.scheduler.v1 import scheduler_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from simpletuner.libs.rpc.runtime import ServiceRuntime

from . import approvals, store
from .messages import STATUS_NAMES, indices, limits_message
from .models import ApprovalRule
from .queue import LOCAL, JobQueue
from .workers import STATUS_NAMES as WORKER_STATUS_NAMES
from .workers import Workers

Ctx: TypeAlias = grpc.aio.ServicerContext
DEFAULT_CLEANUP_DAYS = 30
WAIT_WINDOW = timedelta(days=1)


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    """Jobs, the priority GPU queue, quotas, approvals and the worker registry."""

    def __init__(self, runtime: ServiceRuntime, queue: JobQueue, workers: Workers) -> None:
        self._runtime = runtime
        self._queue = queue
        self._workers = workers

    async def GetServiceInfo(self, request: pb.GetServiceInfoRequest, ctx: Ctx) -> pb.GetServiceInfoResponse:
        return pb.GetServiceInfoResponse(info=await self._runtime.describe())

    async def SubmitJob(self, request: pb.SubmitJobRequest, ctx: Ctx) -> pb.SubmitJobResponse:
        return await self._queue.submit(request)

    async def ListJobs(self, request: pb.ListJobsRequest, ctx: Ctx) -> pb.ListJobsResponse:
        who = context.caller.get()
        owner = request.owner_id or None
        if not (who.is_service or who.holds("queue.view.all")):
            if owner not in (None, who.subject):
                raise InvalidArgument("another user's jobs need queue.view.all", owner_id=owner or "")
            owner = who.subject
        statuses = [STATUS_NAMES[s] for s in request.statuses if s in STATUS_NAMES] or [
            *store.WAITING,
            store.RUNNING,
            *(store.FINISHED if request.include_finished else ()),
        ]
        limit = min(request.limit or 50, 200)
        jobs, total = await self._queue.query(store.list_jobs, statuses, owner, limit, max(request.offset, 0))
        messages = await self._queue.describe_many(jobs)
        # queued jobs first, in the order they will start; the rest newest first
        messages.sort(key=lambda job: (job.queue_position == 0, job.queue_position))
        return pb.ListJobsResponse(jobs=messages, total=total)

    async def GetJob(self, request: pb.GetJobRequest, ctx: Ctx) -> pb.GetJobResponse:
        job = await self._queue.visible(request.job_id, "queue.view.all")
        return pb.GetJobResponse(job=await self._queue.describe(job))

    async def CancelJob(self, request: pb.CancelJobRequest, ctx: Ctx) -> pb.CancelJobResponse:
        job = await self._queue.cancel(request.job_id)
        return pb.CancelJobResponse(job=await self._queue.describe(job))

    async def SetJobPriority(self, request: pb.SetJobPriorityRequest, ctx: Ctx) -> pb.SetJobPriorityResponse:
        priority = request.priority if request.HasField("priority") else None
        job, before = await self._queue.set_priority(request.job_id, priority)
        return pb.SetJobPriorityResponse(job=await self._queue.describe(job), previous_effective_priority=before)

    async def GetQueueStats(self, request: pb.GetQueueStatsRequest, ctx: Ctx) -> pb.GetQueueStatsResponse:
        by_status = await self._queue.query(store.count_by_status)
        waits = await self._queue.query(store.waits_since, utcnow() - WAIT_WINDOW)
        average = (
            sum((started - submitted).total_seconds() for submitted, started in waits) / len(waits) if waits else 0
        )
        return pb.GetQueueStatsResponse(
            by_status=by_status,
            by_user=await self._queue.query(store.active_by_user),
            queue_depth=by_status.get(store.QUEUED, 0),
            running=by_status.get(store.RUNNING, 0),
            avg_wait_seconds=round(average, 3),
            limits=limits_message(await self._queue.limits()),
            local=await self._allocation(),
            workers_by_status=await self._queue.query(store.worker_counts),
        )

    async def SetConcurrency(self, request: pb.SetConcurrencyRequest, ctx: Ctx) -> pb.SetConcurrencyResponse:
        names = (
            "max_concurrent",
            "user_max_concurrent",
            "team_max_concurrent",
            "enable_fair_share",
            "local_gpu_max_concurrent",
            "local_job_max_concurrent",
        )
        changes: dict[str, Any] = {name: getattr(request, name) for name in names if request.HasField(name)}
        if request.clear_local_gpu_max_concurrent:
            changes["local_gpu_max_concurrent"] = None
        return pb.SetConcurrencyResponse(limits=limits_message(await self._queue.change_limits(changes)))

    async def CleanupJobs(self, request: pb.CleanupJobsRequest, ctx: Ctx) -> pb.CleanupJobsResponse:
        days = request.days or DEFAULT_CLEANUP_DAYS
        if days < 1:
            raise InvalidArgument("days must be at least 1", field="days")
        deleted = await self._queue.query(store.delete_finished_before, utcnow() - timedelta(days=days))
        return pb.CleanupJobsResponse(deleted=deleted, days=days)

    async def DecideJob(self, request: pb.DecideJobRequest, ctx: Ctx) -> pb.DecideJobResponse:
        job = await self._queue.decide(request.job_id, request.approve, request.reason)
        return pb.DecideJobResponse(job=await self._queue.describe(job))

    async def GetQuotaUsage(self, request: pb.GetQuotaUsageRequest, ctx: Ctx) -> pb.GetQuotaUsageResponse:
        who = context.caller.get()
        user_id = request.user_id or who.subject
        if user_id != who.subject and not (who.is_service or who.holds("quota.view")):
            raise PermissionDenied("another user's quotas need quota.view", permission="quota.view")
        quotas = [
            pb.QuotaUsage(
                quota_type=ceiling.quota_type,
                limit=ceiling.limit,
                used=round(used, 4),
                action=ceiling.action,
                scope=ceiling.scope,
                scope_id=ceiling.scope_id,
            )
            for ceiling, used in await self._queue.admission.usage(user_id)
        ]
        return pb.GetQuotaUsageResponse(quotas=quotas, gpu_hour_rate=self._queue.settings.gpu_hour_rate)

    async def ListApprovalRules(self, request: pb.ListApprovalRulesRequest, ctx: Ctx) -> pb.ListApprovalRulesResponse:
        return pb.ListApprovalRulesResponse(
            rules=[_rule_message(r) for r in await self._queue.query(store.approval_rules)]
        )

    async def CreateApprovalRule(
        self, request: pb.CreateApprovalRuleRequest, ctx: Ctx
    ) -> pb.CreateApprovalRuleResponse:
        asked = request.rule
        if not asked.name.strip():
            raise InvalidArgument("the rule needs a name", field="name")
        approvals.check_rule(asked.condition, asked.threshold, asked.pattern)
        if any(rule.name == asked.name for rule in await self._queue.query(store.approval_rules)):
            raise AlreadyExists(f"an approval rule named {asked.name!r} exists", name=asked.name)
        rule = ApprovalRule(
            id=uuid.uuid4().hex,
            name=asked.name.strip(),
            condition=asked.condition,
            threshold=asked.threshold,
            pattern=asked.pattern,
            enabled=asked.enabled,
            created_at=utcnow(),
        )
        await self._queue.query(store.add_approval_rule, rule)
        return pb.CreateApprovalRuleResponse(rule=_rule_message(rule))

    async def DeleteApprovalRule(
        self, request: pb.DeleteApprovalRuleRequest, ctx: Ctx
    ) -> pb.DeleteApprovalRuleResponse:
        if not await self._queue.query(store.delete_approval_rule, request.id):
            raise NotFound(f"no approval rule {request.id}", id=request.id)
        return pb.DeleteApprovalRuleResponse()

    async def CreateWorker(self, request: pb.CreateWorkerRequest, ctx: Ctx) -> pb.CreateWorkerResponse:
        return await self._workers.create(
            request.name, request.worker_type, dict(request.labels), request.orchestrator_url
        )

    async def ListWorkers(self, request: pb.ListWorkersRequest, ctx: Ctx) -> pb.ListWorkersResponse:
        statuses = [WORKER_STATUS_NAMES[s] for s in request.statuses if s in WORKER_STATUS_NAMES]
        return pb.ListWorkersResponse(workers=await self._workers.list(statuses))

    async def ChangeWorker(self, request: pb.ChangeWorkerRequest, ctx: Ctx) -> pb.ChangeWorkerResponse:
        return await self._workers.change(request.worker_id, request.change, request.orchestrator_url)

    async def WorkerCall(self, request: pb.WorkerCallRequest, ctx: Ctx) -> pb.WorkerCallResponse:
        return await self._workers.call(request)

    async def GetGpuAllocation(self, request: pb.GetGpuAllocationRequest, ctx: Ctx) -> pb.GetGpuAllocationResponse:
        return pb.GetGpuAllocationResponse(allocation=await self._allocation())

    async def _allocation(self) -> pb.GpuAllocation:
        node = await self._queue.node()
        running = [row for row in await self._queue.query(store.running_rows) if row.placement.startswith(LOCAL)]
        holder = {gpu: row.id for row in running for gpu in indices(row.allocated_gpus)}
        gpus = list(node.gpus) if node is not None else []
        by_status = await self._queue.query(store.count_by_status)
        return pb.GpuAllocation(
            allocated_gpus=sorted(gpu.index for gpu in gpus if gpu.index in holder),
            available_gpus=sorted(gpu.index for gpu in gpus if gpu.index not in holder),
            running_local_jobs=len(running),
            pending_local_jobs=by_status.get(store.QUEUED, 0),
            backend=node.backend if node is not None else "unreachable",
            devices=[
                pb.GpuDevice(
                    index=gpu.index,
                    name=gpu.name,
                    memory_gb=gpu.memory_gb,
                    allocated=gpu.index in holder,
                    job_id=holder.get(gpu.index, ""),
                )
                for gpu in gpus
            ],
        )


def _rule_message(rule: ApprovalRule) -> pb.ApprovalRule:
    return pb.ApprovalRule(
        id=rule.id,
        name=rule.name,
        condition=rule.condition,
        threshold=rule.threshold,
        pattern=rule.pattern,
        enabled=rule.enabled,
    )
