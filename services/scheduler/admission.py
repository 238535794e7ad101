"""Whether a new job may queue: the submitter's quotas (block, warn or ask for approval) and the approval rules.

Holders of job.bypass.quota skip quotas and of job.bypass.approval skip the rules; services (the launcher)
skip both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc

from simpletuner.api.auth.v1 import orgs_pb2, orgs_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.protoenums import value_name
from simpletuner.libs.rpc.errors import relayed
from simpletuner.libs.rpc.runtime import ServiceRuntime

from . import approvals, quotas, store
from .models import Job
from .settings import SchedulerSettings


@dataclass
class Verdict:
    """Where a new job goes (queued, pending_approval or rejected), why, and what to warn about."""

    status: str = store.QUEUED
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    breaches: list[quotas.Breach] = field(default_factory=list)


class Admission:
    def __init__(
        self, runtime: ServiceRuntime, settings: SchedulerSettings, orgs: orgs_pb2_grpc.OrganizationServiceStub
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._orgs = orgs

    def estimated_cost(self, gpu_count: int, hours: float) -> float:
        return max(1, gpu_count) * hours * self._settings.gpu_hour_rate

    async def judge(self, job: Job, hours: float) -> Verdict:
        who = context.caller.get()
        verdict = Verdict()
        asking: list[str] = []
        if not (who.is_service or who.holds("job.bypass.quota")):
            rate = self._settings.gpu_hour_rate
            usage = await self._runtime.database.run(quotas.usage_of, job.owner_id, utcnow(), rate)
            found = quotas.breaches(
                await self.ceilings(job.owner_id), usage, quotas.job_asks(job.gpu_count, hours, rate)
            )
            verdict.breaches = found
            if found and found[0].ceiling.action == quotas.BLOCK:
                return Verdict(store.REJECTED, f"refused: {found[0].message}", breaches=found)
            asking += [b.message for b in found if b.ceiling.action == quotas.REQUIRE_APPROVAL]
            verdict.warnings += [b.message for b in found if b.ceiling.action == quotas.WARN]
        if not (who.is_service or who.holds("job.bypass.approval")):
            rules = await self._runtime.database.run(store.approval_rules)
            first = not await self._runtime.database.run(store.has_jobs, job.owner_id)
            submission = approvals.Submission(job.config_name, job.gpu_count, job.estimated_cost, first)
            asking += approvals.reasons(rules, submission)
        if asking:
            verdict.status, verdict.message = store.PENDING_APPROVAL, "waiting for approval: " + "; ".join(asking)
        return verdict

    def expiry(self) -> Any:
        return utcnow() + timedelta(hours=self._settings.approval_expire_hours)

    async def ceilings(self, user_id: str) -> list[quotas.Ceiling]:
        """The ceilings that bind the user, from the auth service (this service's own identity)."""
        token = context.caller_token.set("")  # as the scheduler: a user may not read every level of the hierarchy
        try:
            reply = await self._orgs.GetEffectiveCeilings(orgs_pb2.GetEffectiveCeilingsRequest(user_id=user_id))
        except grpc.aio.AioRpcError as exc:
            raise relayed(exc) from None
        finally:
            context.caller_token.reset(token)
        return [
            quotas.Ceiling(
                quota_type=value_name(orgs_pb2.QuotaType, "QUOTA_TYPE_", c.quota_type),
                limit=c.limit,
                action=value_name(orgs_pb2.QuotaAction, "QUOTA_ACTION_", c.action) if c.action else quotas.BLOCK,
                scope=value_name(orgs_pb2.QuotaScope, "QUOTA_SCOPE_", c.scope),
                scope_id=c.scope_id,
            )
            for c in reply.ceilings
        ]

    async def usage(self, user_id: str) -> list[tuple[quotas.Ceiling, float]]:
        """Each binding ceiling with what the user uses of it now."""
        used = await self._runtime.database.run(quotas.usage_of, user_id, utcnow(), self._settings.gpu_hour_rate)
        return [(ceiling, used.of(ceiling.quota_type)) for ceiling in await self.ceilings(user_id)]
