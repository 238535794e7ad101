"""The scheduling decision: priorities, aging, fair share, limits, placement and reservations."""

from __future__ import annotations

import itertools

from simpletuner.services.scheduler import policy
from simpletuner.services.scheduler.policy import (
    CRITICAL,
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    Limits,
    Plan,
    QueueIndex,
    Running,
    Waiting,
    effective_priority,
)

GPUS = (0, 1, 2, 3)
OPEN = Limits(max_concurrent=100, user_max_concurrent=100, team_max_concurrent=100, local_job_max_concurrent=10)


def waiting(job_id: str, priority: int = NORMAL, submitted: float = 0.0, gpus: int = 1, **fields: object) -> Waiting:
    values: dict[str, object] = {"owner_id": "u", "team_key": "t"} | fields
    return Waiting(job_id, base_priority=priority, override=None, submitted=submitted, gpu_count=gpus, **values)  # type: ignore[arg-type]


def plan(jobs: list[Waiting], *args: object, **kwargs: object) -> Plan:
    return policy.plan(QueueIndex(jobs), *args, **kwargs)  # type: ignore[arg-type]


def ordered(jobs: list[Waiting], *args: object) -> list[Waiting]:
    return policy.ordered(QueueIndex(jobs), *args)  # type: ignore[arg-type]


def started(decision: object) -> list[tuple[str, tuple[int, ...]]]:
    return [(p.job_id, p.gpus) for p in decision.start]  # type: ignore[attr-defined]


def test_higher_priority_starts_first_then_older_jobs() -> None:
    jobs = [waiting("old-low", LOW, 0), waiting("new-high", HIGH, 50), waiting("old-high", HIGH, 10)]
    decision = plan(jobs, [], GPUS[:2], OPEN, {}, now=60)
    assert started(decision) == [("old-high", (0,)), ("new-high", (1,))]
    assert decision.reason("old-low") == "waiting for GPUs: 0 free"


def test_an_override_wins_over_the_base_and_aging() -> None:
    job = Waiting("j", "u", "t", base_priority=LOW, override=45, submitted=0)
    assert effective_priority(job, now=10_000, aging_seconds=60) == 45


def test_aging_raises_one_level_per_period_up_to_urgent_only() -> None:
    job = waiting("j", LOW, 0)
    assert [effective_priority(job, now, 100) for now in (0, 99, 100, 250, 10_000)] == [0, 0, 10, 20, URGENT]
    assert effective_priority(waiting("c", CRITICAL, 0), 10_000, 100) == CRITICAL  # never lowered


def test_a_low_job_eventually_runs_under_a_stream_of_high_ones() -> None:
    """One GPU; every minute a new high job arrives and the one running ends. Aging lets the low one through."""
    aging = 600.0
    limits = Limits(max_concurrent=1, user_max_concurrent=1, local_job_max_concurrent=1, aging_seconds=aging)
    low = waiting("low", LOW, submitted=0, owner_id="patient")
    queue = [low]
    counter = itertools.count()
    for minute in range(1, 200):
        now = minute * 60.0
        queue.append(waiting(f"high-{next(counter)}", HIGH, submitted=now - 1, owner_id="busy"))
        decision = plan(queue, [], (0,), limits, {}, now)
        (winner,) = started(decision)
        if winner[0] == "low":
            break
        queue = [job for job in queue if job.job_id != winner[0]]
    else:
        raise AssertionError("the low job starved")
    # it waited until aging lifted it to high (two periods): then age breaks the tie in its favour
    assert 2 * aging <= now < 2 * aging + 120


def test_without_aging_the_low_job_would_starve() -> None:
    """The control experiment: the same stream with aging off never lets the low job run."""
    limits = Limits(max_concurrent=1, user_max_concurrent=1, local_job_max_concurrent=1, aging_seconds=0)
    queue = [waiting("low", LOW, 0, owner_id="patient")]
    for minute in range(1, 100):
        queue.append(waiting(f"high-{minute}", HIGH, minute * 60.0 - 1, owner_id="busy"))
        (winner,) = started(plan(queue, [], (0,), limits, {}, minute * 60.0))
        assert winner[0] != "low"
        queue = [job for job in queue if job.job_id != winner[0]]


def test_fair_share_prefers_the_team_that_used_less_recently() -> None:
    jobs = [
        waiting("heavy-team", submitted=0, team_key="team:a"),
        waiting("light-team", submitted=5, team_key="team:b"),
    ]
    fair = Limits(**{**OPEN.__dict__, "enable_fair_share": True})
    usage = {"team:a": 36_000.0, "team:b": 60.0}
    assert [p.job_id for p in plan(jobs, [], (0,), fair, usage, 10).start] == ["light-team"]
    # with fair share off, age decides
    assert [p.job_id for p in plan(jobs, [], (0,), OPEN, usage, 10).start] == ["heavy-team"]


def test_team_and_user_limits_skip_to_the_next_eligible_job() -> None:
    running = [Running("r1", "alice", "team:a", (0,)), Running("r2", "bob", "team:a", (1,))]
    jobs = [
        waiting("alice-2", owner_id="alice", team_key="team:a"),
        waiting("carol", owner_id="carol", team_key="team:c", submitted=1),
    ]
    limits = Limits(
        max_concurrent=10,
        user_max_concurrent=1,
        team_max_concurrent=2,
        enable_fair_share=True,
        local_job_max_concurrent=10,
    )
    decision = plan(jobs, running, GPUS, limits, {}, 10)
    assert started(decision) == [("carol", (2,))]
    assert "per-user limit" in decision.reason("alice-2")
    team_only = [waiting("bob-2", owner_id="dave", team_key="team:a")]
    assert "per-team limit" in plan(team_only, running, GPUS, limits, {}, 10).reason("bob-2")


def test_the_global_and_local_limits_stop_the_pass() -> None:
    jobs = [waiting(f"j{i}", submitted=i) for i in range(5)]
    assert (
        len(
            plan(
                jobs, [], GPUS, Limits(max_concurrent=2, user_max_concurrent=9, local_job_max_concurrent=9), {}, 9
            ).start
        )
        == 2
    )
    local = plan(jobs, [], GPUS, Limits(max_concurrent=9, user_max_concurrent=9, local_job_max_concurrent=3), {}, 9)
    assert len(local.start) == 3 and "local limit of 3" in local.reason("j3")
    # the trainer's own cap binds too
    assert len(plan(jobs, [], GPUS, OPEN, {}, 9, max_local_runs=1).start) == 1


def test_a_job_that_cannot_fit_does_not_block_smaller_ones_behind_it() -> None:
    running = [Running("holder", "u", "t", (0, 1))]
    jobs = [waiting("big", HIGH, 0, gpus=4), waiting("small", LOW, 1, gpus=2)]
    decision = plan(jobs, running, GPUS, OPEN, {}, 10)
    assert started(decision) == [("small", (2, 3))]
    assert decision.reason("big") == "needs 4 GPU(s), 2 free"


def test_a_starving_job_holds_the_gpus_it_needs() -> None:
    """Past reserve_after_seconds a large job keeps free GPUs from smaller jobs, so it fits once enough free up."""
    limits = Limits(**{**OPEN.__dict__, "reserve_after_seconds": 100})
    running = [Running("holder", "u", "t", (0, 1))]
    jobs = [waiting("big", HIGH, 0, gpus=4), waiting("small", LOW, 1, gpus=2)]
    decision = plan(jobs, running, GPUS, limits, {}, now=500)
    assert started(decision) == []
    assert "held for it" in decision.reason("big")


def test_preferred_devices_must_be_free_unless_any_gpu() -> None:
    running = [Running("holder", "u", "t", (0,))]
    pinned = waiting("pinned", gpus=1, preferred=(0,))
    assert started(plan([pinned], running, GPUS, OPEN, {}, 1)) == []
    assert started(plan([waiting("pinned", gpus=1, preferred=(0,), any_gpu=True)], running, GPUS, OPEN, {}, 1)) == [
        ("pinned", (1,))
    ]
    assert started(plan([waiting("two", gpus=1, preferred=(3,))], running, GPUS, OPEN, {}, 1)) == [("two", (3,))]


def test_the_local_gpu_limit_counts_gpus_in_use() -> None:
    limits = Limits(**{**OPEN.__dict__, "local_gpu_max_concurrent": 3})
    running = [Running("holder", "u", "t", (0, 1))]
    decision = plan([waiting("two", gpus=2), waiting("one", gpus=1, submitted=1)], running, GPUS, limits, {}, 5)
    assert started(decision) == [("one", (2,))]
    assert "local limit of 3 GPUs" in decision.reason("two")


def test_a_cpu_node_runs_jobs_without_gpus_and_worker_jobs_wait_for_workers() -> None:
    decision = plan([waiting("cpu", gpus=1), waiting("remote", local_allowed=False, submitted=1)], [], (), OPEN, {}, 5)
    assert started(decision) == [("cpu", ())]
    assert decision.reason("remote") == "no idle worker matches its labels"


def test_queue_positions_follow_the_start_order() -> None:
    jobs = [waiting("a", LOW, 0), waiting("b", HIGH, 5), waiting("c", HIGH, 1), waiting("d", URGENT, 9)]
    assert [job.job_id for job in ordered(jobs, OPEN, {}, 10)] == ["d", "c", "b", "a"]


def test_the_index_keeps_start_order_as_jobs_come_go_and_change() -> None:
    index = QueueIndex([waiting("b", NORMAL, 5), waiting("a", NORMAL, 1), waiting("c", HIGH, 9)])
    assert [job.job_id for job in policy.ordered(index, OPEN, {}, 10)] == ["c", "a", "b"]
    index.put(Waiting("b", "u", "t", base_priority=NORMAL, override=50, submitted=5))  # an override moves it
    index.discard("c")
    index.discard("missing")
    assert [job.job_id for job in policy.ordered(index, OPEN, {}, 10)] == ["b", "a"]
    assert (len(index), "c" in index, index.smallest_need, index.only_local) == (2, False, 0, True)
    index.put(waiting("remote", gpus=2, local_allowed=False))
    assert not index.only_local


def test_target_auto_prefers_an_idle_matching_worker_over_local_gpus() -> None:
    from simpletuner.services.scheduler.policy import IdleWorker

    a100 = IdleWorker("a100-box", {"gpu_type": "a100-80g"}, gpu_count=2)
    jobs = [
        waiting("auto-a100", submitted=0, worker_labels=(("gpu_type", "a100*"),)),
        waiting("auto-h100", submitted=1, worker_labels=(("gpu_type", "h100*"),)),  # no idle worker matches
        waiting("auto-second", submitted=2),  # the one idle worker is spoken for
        waiting("local-only", submitted=3, worker_allowed=False),
    ]
    decision = plan(jobs, [], GPUS, OPEN, {}, 10, idle_workers=[a100])
    assert [p.job_id for p in decision.start] == ["auto-h100", "auto-second", "local-only"]
    assert decision.reason("auto-a100") == "left for idle worker a100-box, which takes it next"
    assert not IdleWorker("small", {}, gpu_count=1).takes(waiting("big", gpus=2))
    assert IdleWorker("cpu", {}, gpu_count=0).takes(waiting("big", gpus=2))
