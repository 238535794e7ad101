"""The scheduling decision, as a pure function of the queue, what runs, the free GPUs and the limits.

Order: effective priority (an override, else the base raised one level per `aging_seconds` waited, up to
URGENT), then the team's recent GPU use when fair share is on, then age. A job that cannot fit is skipped
(no head-of-line blocking); one that has starved past `reserve_after_seconds` holds the free GPUs it needs,
so a stream of small jobs cannot keep a large one out for ever.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LOW, NORMAL, HIGH, URGENT, CRITICAL = 0, 10, 20, 30, 40
MAX_OVERRIDE = 50
LEVEL_STEP = 10
AGING_CEILING = URGENT  # waiting alone never makes a job critical


@dataclass(frozen=True, slots=True)
class Waiting:
    """A queued job as the policy sees it."""

    job_id: str
    owner_id: str
    team_key: str  # the team its use counts against (the owner alone when they have none)
    base_priority: int
    override: int | None
    submitted: float  # epoch seconds
    gpu_count: int = 0
    preferred: tuple[int, ...] = ()
    any_gpu: bool = False
    local_allowed: bool = True


@dataclass(frozen=True, slots=True)
class Running:
    job_id: str
    owner_id: str
    team_key: str
    gpus: tuple[int, ...] = ()
    local: bool = True


@dataclass(frozen=True)
class Limits:
    max_concurrent: int = 5
    user_max_concurrent: int = 2
    team_max_concurrent: int = 10
    enable_fair_share: bool = False
    local_gpu_max_concurrent: int | None = None
    local_job_max_concurrent: int = 1
    aging_seconds: float = 1800.0
    reserve_after_seconds: float = 3600.0


@dataclass(frozen=True)
class Placement:
    job_id: str
    gpus: tuple[int, ...]


@dataclass
class Plan:
    """The jobs to start now (in order) and, for each job looked at but not started, why not."""

    start: list[Placement] = field(default_factory=list)
    waiting_because: dict[str, str] = field(default_factory=dict)


def effective_priority(job: Waiting, now: float, aging_seconds: float) -> int:
    """The override when set; else the base plus one level per aging period waited, capped at URGENT."""
    if job.override is not None:
        return job.override
    if aging_seconds <= 0 or job.base_priority >= AGING_CEILING:
        return job.base_priority
    levels = math.floor(max(0.0, now - job.submitted) / aging_seconds)
    return min(job.base_priority + LEVEL_STEP * levels, AGING_CEILING)


def queue_order(
    waiting: Iterable[Waiting], limits: Limits, usage: Mapping[str, float], now: float
) -> list[tuple[tuple[float, float, float, str], Waiting]]:
    """(sort key, job) pairs, not sorted: callers heapify or sort as they need."""
    share = usage if limits.enable_fair_share else {}
    return [
        (
            (
                -effective_priority(job, now, limits.aging_seconds),
                share.get(job.team_key, 0.0),
                job.submitted,
                job.job_id,
            ),
            job,
        )
        for job in waiting
    ]


def ordered(waiting: Iterable[Waiting], limits: Limits, usage: Mapping[str, float], now: float) -> list[Waiting]:
    """The queue in the order jobs would start (positions)."""
    return [job for _, job in sorted(queue_order(waiting, limits, usage, now), key=lambda pair: pair[0])]


def plan(
    waiting: Sequence[Waiting],
    running: Sequence[Running],
    devices: Sequence[int],
    limits: Limits,
    usage: Mapping[str, float],
    now: float,
    max_local_runs: int | None = None,
) -> Plan:
    """Which waiting jobs start now on which local GPUs. `devices` empty: a CPU node (jobs need no GPU)."""
    result = Plan()
    total = len(running)
    by_user = Counter(job.owner_id for job in running)
    by_team = Counter(job.team_key for job in running)
    local_jobs = sum(1 for job in running if job.local)
    held = {gpu for job in running if job.local for gpu in job.gpus}
    free = [gpu for gpu in devices if gpu not in held]
    gpus_in_use = len(held)
    local_cap = min(limits.local_job_max_concurrent, max_local_runs or limits.local_job_max_concurrent)
    if total >= limits.max_concurrent or not waiting:
        return result
    heap = queue_order(waiting, limits, usage, now)
    heapq.heapify(heap)
    while heap and total < limits.max_concurrent:
        _, job = heapq.heappop(heap)
        reason = _blocked_by_limits(job, by_user, by_team, limits)
        if reason is None:
            if not job.local_allowed:
                reason = "waiting for a matching worker"
            elif local_jobs >= local_cap:
                reason = f"the local limit of {local_cap} running job(s) is reached"
        if reason is None:
            need = job.gpu_count if devices else 0
            chosen, reason = _devices_for(job, need, free, gpus_in_use, limits)
            if chosen is None and now - job.submitted >= limits.reserve_after_seconds:
                free = [gpu for gpu in free if gpu not in _reservation(job, need, free)]  # holds them for it
                reason = f"{reason}; it has waited long, so the GPUs it needs are held for it as they free up"
        else:
            chosen = None
        if chosen is None:
            result.waiting_because[job.job_id] = reason or "waiting"
            if local_jobs >= local_cap and not any(not j.local_allowed for _, j in heap):
                _explain_rest(heap, result, reason or "")
                break
            continue
        result.start.append(Placement(job.job_id, chosen))
        total += 1
        local_jobs += 1
        by_user[job.owner_id] += 1
        by_team[job.team_key] += 1
        free = [gpu for gpu in free if gpu not in chosen]
        gpus_in_use += len(chosen)
    if total >= limits.max_concurrent:
        _explain_rest(heap, result, f"the limit of {limits.max_concurrent} running job(s) in all is reached")
    return result


def _blocked_by_limits(job: Waiting, by_user: Counter[str], by_team: Counter[str], limits: Limits) -> str | None:
    if by_user[job.owner_id] >= limits.user_max_concurrent:
        return f"its owner already runs {limits.user_max_concurrent} job(s), the per-user limit"
    if limits.enable_fair_share and by_team[job.team_key] >= limits.team_max_concurrent:
        return f"its team already runs {limits.team_max_concurrent} job(s), the per-team limit"
    return None


def _devices_for(
    job: Waiting, need: int, free: Sequence[int], gpus_in_use: int, limits: Limits
) -> tuple[tuple[int, ...] | None, str]:
    if need == 0:
        return (), ""
    if limits.local_gpu_max_concurrent is not None and gpus_in_use + need > limits.local_gpu_max_concurrent:
        return None, f"{need} GPU(s) would pass the local limit of {limits.local_gpu_max_concurrent} GPUs in use"
    if job.preferred and not job.any_gpu:
        if len(job.preferred) >= need and set(job.preferred[:need]) <= set(free):
            return tuple(job.preferred[:need]), ""
        busy = sorted(set(job.preferred[:need]) - set(free))
        return None, f"its configured GPU(s) {busy} are busy (any_gpu takes others)"
    if len(free) < need:
        return None, f"needs {need} GPU(s), {len(free)} free"
    return tuple(sorted(free)[:need]), ""


def _reservation(job: Waiting, need: int, free: Sequence[int]) -> set[int]:
    if job.preferred and not job.any_gpu:
        return set(job.preferred[:need]) & set(free)
    return set(sorted(free)[:need])


def _explain_rest(heap: list[tuple[tuple[float, float, float, str], Waiting]], result: Plan, reason: str) -> None:
    """Jobs never looked at wait for the same reason (kept cheap: only the next few are named)."""
    for _, job in heapq.nsmallest(20, heap):
        result.waiting_because.setdefault(job.job_id, reason)
