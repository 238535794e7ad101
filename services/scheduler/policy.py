"""The scheduling decision, as a pure function of the queue, what runs, the free GPUs and the limits.

Order: effective priority (an override, else the base raised one level per `aging_seconds` waited, up to
URGENT), then the team's recent GPU use when fair share is on, then age. A job that cannot fit is skipped
(no head-of-line blocking); one that has starved past `reserve_after_seconds` holds the free GPUs it needs,
so a stream of small jobs cannot keep a large one out for ever.
"""

from __future__ import annotations

import fnmatch
import heapq
import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

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
    worker_allowed: bool = True
    worker_labels: tuple[tuple[str, str], ...] = ()  # (label, glob) pairs a worker must match


@dataclass(frozen=True, slots=True)
class Running:
    job_id: str
    owner_id: str
    team_key: str
    gpus: tuple[int, ...] = ()
    local: bool = True


@dataclass(frozen=True)
class IdleWorker:
    """A connected worker with no job: jobs that may run remotely (target auto) go to it before local GPUs."""

    name: str
    labels: Mapping[str, str]
    gpu_count: int

    def takes(self, job: Waiting) -> bool:
        fits = self.gpu_count == 0 or job.gpu_count <= self.gpu_count
        return job.worker_allowed and fits and labels_match(job.worker_labels, self.labels)


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
    """The jobs to start now (in order) and why the others wait: each job looked at, and `otherwise` for the rest."""

    start: list[Placement] = field(default_factory=list)
    waiting_because: dict[str, str] = field(default_factory=dict)
    otherwise: str = "waiting for its turn"
    free_gpus: int | None = None  # set when the pass ended because too few GPUs were free

    def reason(self, job_id: str, gpu_count: int = 0) -> str:
        if job_id in self.waiting_because:
            return self.waiting_because[job_id]
        if self.free_gpus is not None and gpu_count:
            return f"needs {gpu_count} GPU(s), {self.free_gpus} free"
        return self.otherwise


def effective_priority(job: Waiting, now: float, aging_seconds: float) -> int:
    """The override when set; else the base plus one level per aging period waited, capped at URGENT."""
    if job.override is not None:
        return job.override
    if aging_seconds <= 0 or job.base_priority >= AGING_CEILING:
        return job.base_priority
    levels = math.floor(max(0.0, now - job.submitted) / aging_seconds)
    return min(job.base_priority + LEVEL_STEP * levels, AGING_CEILING)


_age = attrgetter("submitted", "job_id")


def _sort_key(job: Waiting, limits: Limits, share: Mapping[str, float], now: float) -> tuple[float, float, float, str]:
    return (
        -effective_priority(job, now, limits.aging_seconds),
        share.get(job.team_key, 0.0),
        job.submitted,
        job.job_id,
    )


class QueueIndex:
    """The waiting jobs, kept between passes in runs that are each already in start order.

    Jobs that share an override, a base priority and a team are ordered by age alone (an older one has
    waited at least as long, so aging never puts it behind a younger one, and fair share ranks them alike):
    each run is sorted, and a lazy k-way merge of the runs is the whole queue in start order. A pass then
    costs the runs' heads plus the jobs it reaches, not the size of the queue.
    """

    def __init__(self, jobs: Iterable[Waiting] = ()) -> None:
        self._jobs: dict[str, Waiting] = {}
        self._runs: dict[tuple[int | None, int, str], list[Waiting]] = {}
        self._needs: Counter[int] = Counter()  # GPUs needed -> local-allowed jobs needing that many
        self._worker_only = 0
        for job in jobs:
            self.put(job)

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._jobs

    def put(self, job: Waiting) -> None:
        """Add a job, or replace it with its new state."""
        self.discard(job.job_id)
        self._jobs[job.job_id] = job
        insort(self._runs.setdefault(_run_of(job), []), job, key=_age)
        if job.local_allowed:
            self._needs[job.gpu_count] += 1
        else:
            self._worker_only += 1

    def discard(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        run = self._runs[_run_of(job)]
        del run[bisect_left(run, _age(job), key=_age)]
        if not run:
            del self._runs[_run_of(job)]
        if job.local_allowed:
            self._needs[job.gpu_count] -= 1
            if not self._needs[job.gpu_count]:
                del self._needs[job.gpu_count]
        else:
            self._worker_only -= 1

    @property
    def only_local(self) -> bool:
        return self._worker_only == 0

    @property
    def smallest_need(self) -> int:
        return min(self._needs, default=0)

    def in_start_order(self, limits: Limits, usage: Mapping[str, float], now: float) -> Iterator[Waiting]:
        share = usage if limits.enable_fair_share else {}
        return heapq.merge(*self._runs.values(), key=lambda job: _sort_key(job, limits, share, now))


def _run_of(job: Waiting) -> tuple[int | None, int, str]:
    return (job.override, job.base_priority, job.team_key)


def ordered(queue: QueueIndex, limits: Limits, usage: Mapping[str, float], now: float) -> list[Waiting]:
    """The whole queue in the order jobs would start (queue positions)."""
    return list(queue.in_start_order(limits, usage, now))


def plan(
    waiting: QueueIndex,
    running: Sequence[Running],
    devices: Sequence[int],
    limits: Limits,
    usage: Mapping[str, float],
    now: float,
    max_local_runs: int | None = None,
    idle_workers: Sequence[IdleWorker] = (),
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
    if total >= limits.max_concurrent:
        result.otherwise = f"the limit of {limits.max_concurrent} running job(s) in all is reached"
        return result
    idle = list(idle_workers)
    only_local = waiting.only_local
    smallest_need = waiting.smallest_need if devices and only_local else 0
    for job in waiting.in_start_order(limits, usage, now):
        if total >= limits.max_concurrent:
            result.otherwise = f"the limit of {limits.max_concurrent} running job(s) in all is reached"
            break
        if only_local and local_jobs >= local_cap:
            result.otherwise = f"the local limit of {local_cap} running job(s) is reached"
            break  # nothing later in the queue can start either
        if only_local and len(free) < smallest_need:
            result.otherwise, result.free_gpus = f"waiting for GPUs: {len(free)} free", len(free)
            break
        taker = next((worker for worker in idle if worker.takes(job)), None)
        if taker is not None:  # target auto prefers an idle matching worker; it claims the job itself
            idle.remove(taker)
            result.waiting_because[job.job_id] = f"left for idle worker {taker.name}, which takes it next"
            continue
        chosen, reason = _place(job, devices, free, gpus_in_use, local_jobs, local_cap, by_user, by_team, limits)
        if chosen is None:
            if reason.startswith("needs") or reason.startswith("its configured"):
                if now - job.submitted >= limits.reserve_after_seconds:
                    free = [gpu for gpu in free if gpu not in _reservation(job, job.gpu_count, free)]
                    reason += "; it has waited long, so the GPUs it needs are held for it as they free up"
            result.waiting_because[job.job_id] = reason
            continue
        result.start.append(Placement(job.job_id, chosen))
        total += 1
        local_jobs += 1
        by_user[job.owner_id] += 1
        by_team[job.team_key] += 1
        free = [gpu for gpu in free if gpu not in chosen]
        gpus_in_use += len(chosen)
    return result


def _place(
    job: Waiting,
    devices: Sequence[int],
    free: Sequence[int],
    gpus_in_use: int,
    local_jobs: int,
    local_cap: int,
    by_user: Counter[str],
    by_team: Counter[str],
    limits: Limits,
) -> tuple[tuple[int, ...] | None, str]:
    """The GPUs this job would start on now, or None and why not."""
    reason = _blocked_by_limits(job, by_user, by_team, limits)
    if reason is not None:
        return None, reason
    if not job.local_allowed:
        return None, "no idle worker matches its labels"
    if local_jobs >= local_cap:
        return None, f"the local limit of {local_cap} running job(s) is reached"
    return _devices_for(job, job.gpu_count if devices else 0, free, gpus_in_use, limits)


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


def labels_match(wanted: Iterable[tuple[str, str]], labels: Mapping[str, str]) -> bool:
    """Every wanted label is present and matches its glob ("a100*")."""
    return all(key in labels and fnmatch.fnmatchcase(labels[key], pattern) for key, pattern in wanted)


def pick_for_worker(
    waiting: QueueIndex,
    running: Sequence[Running],
    labels: Mapping[str, str],
    gpu_count: int,
    limits: Limits,
    usage: Mapping[str, float],
    now: float,
) -> Waiting | None:
    """The first job in start order that a worker with these labels and GPUs may run now (a CPU worker, 0 GPUs,
    takes any size)."""
    if len(running) >= limits.max_concurrent:
        return None
    by_user = Counter(job.owner_id for job in running)
    by_team = Counter(job.team_key for job in running)
    for job in waiting.in_start_order(limits, usage, now):
        fits = gpu_count == 0 or job.gpu_count <= gpu_count
        if job.worker_allowed and fits and labels_match(job.worker_labels, labels):
            if _blocked_by_limits(job, by_user, by_team, limits) is None:
                return job
    return None
