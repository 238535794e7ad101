"""Quota breaches and approval rules, as pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simpletuner.libs.rpc.errors import InvalidArgument
from simpletuner.services.scheduler import approvals, quotas
from simpletuner.services.scheduler.models import ApprovalRule

USAGE = quotas.Usage(concurrent_jobs=2, gpus=4, jobs_per_hour=3, jobs_per_day=9, cost_daily=7.5, cost_monthly=80)


def ceiling(quota_type: str, limit: float, action: str = quotas.BLOCK) -> quotas.Ceiling:
    return quotas.Ceiling(quota_type, limit, action, "team", "vision")


def test_a_job_breaches_only_the_ceilings_it_would_pass_strictest_first() -> None:
    asks = quotas.job_asks(gpu_count=2, estimated_hours=1.5, gpu_hour_rate=2.0)  # 2 GPUs x 1.5 h x 2 = 6
    assert asks["cost_daily"] == 6.0 and asks["gpus"] == 2
    ceilings = [
        ceiling("jobs_per_hour", 4, quotas.WARN),  # 3 + 1 = 4: at the ceiling, not past it
        ceiling("gpus", 5, quotas.WARN),  # 4 + 2 > 5
        ceiling("cost_daily", 10, quotas.REQUIRE_APPROVAL),  # 7.5 + 6 > 10
        ceiling("concurrent_jobs", 2, quotas.BLOCK),  # 2 + 1 > 2
    ]
    found = quotas.breaches(ceilings, USAGE, asks)
    assert [b.ceiling.quota_type for b in found] == ["concurrent_jobs", "cost_daily", "gpus"]
    assert found[0].message == (
        "concurrent_jobs quota: 2 used + 1 for this job would pass the ceiling of 2 (team vision; action block)"
    )


def test_a_cpu_job_counts_as_one_gpu() -> None:
    assert quotas.job_asks(0, 2.0, 1.5)["cost_daily"] == 3.0


def rule(condition: str, threshold: float = 0, pattern: str = "", enabled: bool = True) -> ApprovalRule:
    now = datetime.now(UTC)
    return ApprovalRule(
        id=condition, name=condition, condition=condition, threshold=threshold, pattern=pattern, enabled=enabled,
        created_at=now,
    )  # fmt: skip


def test_approval_rules_say_why_a_job_waits() -> None:
    rules = [
        rule(approvals.COST_EXCEEDS, 50),
        rule(approvals.GPUS_EXCEED, 4),
        rule(approvals.FIRST_JOB),
        rule(approvals.CONFIG_PATTERN, pattern="prod-*"),
        rule(approvals.CONFIG_PATTERN, pattern="*", enabled=False),
    ]
    quiet = approvals.Submission("dev-run", gpu_count=4, estimated_cost=50, first_job=False)
    assert approvals.reasons(rules, quiet) == []
    loud = approvals.Submission("prod-sdxl", gpu_count=8, estimated_cost=50.5, first_job=True)
    assert approvals.reasons(rules, loud) == [
        "cost_exceeds: estimated cost 50.5 is above 50",
        "gpus_exceed: 8 GPUs is more than 4",
        "first_job: the first job of a new user",
        "config_pattern: environment 'prod-sdxl' matches 'prod-*'",
    ]


@pytest.mark.parametrize(
    ("condition", "threshold", "pattern", "field"),
    [("often", 0, "", "condition"), ("config_pattern", 0, "", "pattern"), ("cost_exceeds", -1, "", "threshold")],
)
def test_a_rule_that_cannot_work_is_refused_with_its_field(
    condition: str, threshold: float, pattern: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        approvals.check_rule(condition, threshold, pattern)
    assert refused.value.metadata["field"] == field
