"""Approval rules: which submissions wait for an approver before they may queue, and why."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from simpletuner.libs.rpc.errors import InvalidArgument

from .models import ApprovalRule

COST_EXCEEDS, GPUS_EXCEED, FIRST_JOB, CONFIG_PATTERN = "cost_exceeds", "gpus_exceed", "first_job", "config_pattern"
CONDITIONS = {
    COST_EXCEEDS: "the job's estimated cost is above the threshold",
    GPUS_EXCEED: "the job asks for more GPUs than the threshold (specific hardware)",
    FIRST_JOB: "the user has never submitted a job before",
    CONFIG_PATTERN: "the environment's name matches the glob pattern",
}


@dataclass(frozen=True)
class Submission:
    """What the rules look at."""

    config_name: str
    gpu_count: int
    estimated_cost: float
    first_job: bool


def check_rule(condition: str, threshold: float, pattern: str) -> None:
    if condition not in CONDITIONS:
        raise InvalidArgument(f"unknown condition {condition!r}; use one of {sorted(CONDITIONS)}", field="condition")
    if condition in (COST_EXCEEDS, GPUS_EXCEED) and threshold < 0:
        raise InvalidArgument(f"{condition} needs a threshold of at least 0", field="threshold")
    if condition == CONFIG_PATTERN and not pattern:
        raise InvalidArgument("config_pattern needs a pattern, for example 'prod-*'", field="pattern")


def reasons(rules: list[ApprovalRule], submission: Submission) -> list[str]:
    """Why each enabled rule that matches asks for approval."""
    found = []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.condition == COST_EXCEEDS and submission.estimated_cost > rule.threshold:
            found.append(f"{rule.name}: estimated cost {submission.estimated_cost:g} is above {rule.threshold:g}")
        elif rule.condition == GPUS_EXCEED and submission.gpu_count > rule.threshold:
            found.append(f"{rule.name}: {submission.gpu_count} GPUs is more than {rule.threshold:g}")
        elif rule.condition == FIRST_JOB and submission.first_job:
            found.append(f"{rule.name}: the first job of a new user")
        elif rule.condition == CONFIG_PATTERN and fnmatch.fnmatchcase(submission.config_name, rule.pattern):
            found.append(f"{rule.name}: environment {submission.config_name!r} matches {rule.pattern!r}")
    return found
