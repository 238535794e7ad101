"""The job queue: submission, dispatch onto the local trainer's GPUs, and every later change of a job's state.

The database is the truth: a job moves between states only through conditional updates (store.move and
store.claim), so two replicas, a cancel racing a start, or a repeated event can never run a job twice or
lose one. Each pass reads the queue, asks the pure policy what starts now, claims those jobs and hands
them to the trainer; a trainer that cannot take a job puts it back in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import grpc
import nats.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from simpletuner.api.auth.v1 import auth_pb2, orgs_pb2, orgs_pb2_grpc
from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb
from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.events import new_event
from simpletuner.libs.bus.subjects import job_state_subject, training_status_filter
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, relayed
from simpletuner.libs.rpc.runtime import ServiceRuntime

from . import limits as queue_limits
from . import store
from .admission import Admission
from .messages import PRIORITY_VALUES, STATUS_NUMBERS, TARGET_NAMES, indices, job_message
from .models import Job
from .policy import (
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    IdleWorker,
    Limits,
    Plan,
    QueueIndex,
    Running,
    Waiting,
    effective_priority,
    pick_for_worker,
    plan,
)
from .settings import SchedulerSettings

log = logging.getLogger("simpletuner.scheduler.queue")

T = TypeVar("T")
LOCAL = "local"
NODE_REFRESH_SECONDS = 60.0
TRAINER_TIMEOUT_SECONDS = 30.0
RUN_ENDINGS_CONSUMER = "scheduler-run-endings"
INDEX_RELOAD_SECONDS = 300.0  # the queue index is rebuilt from the database this often, healing any drift
INDEX_OVERLAP = timedelta(seconds=5)
# a trainer's run state -> the job state it ends in
RUN_ENDINGS = {
    ev.TRAINING_STATUS_COMPLETED: store.COMPLETED,
    ev.TRAINING_STATUS_FAILED: store.FAILED,
    ev.TRAINING_STATUS_CANCELLED: store.CANCELLED,
    ev.TRAINING_STATUS_STOPPED: store.STOPPED,
}


def level_default_priority(level_rank: int) -> int:
    """admin -> urgent, lead -> high, researcher -> normal, viewer (and below) -> low."""
    if level_rank >= 100:
        return URGENT
    if level_rank >= 50:
        return HIGH
    return NORMAL if level_rank >= 10 else LOW


@dataclass(frozen=True)
class GpuNeed:
    count: int
    preferred: tuple[int, ...]


def gpu_need(config: dict[str, Any]) -> GpuNeed:
    """GPUs a config asks for: num_processes of them, the accelerate_visible_devices ids when given."""
    devices = str(config.get("accelerate_visible_devices") or "").replace(" ", "")
    try:
        preferred = tuple(indices(devices))
    except ValueError:
        hint = "write GPU ids separated by commas, for example 0,1"
        message = f"accelerate_visible_devices {devices!r}: {hint}"
        raise InvalidArgument(message, field="accelerate_visible_devices") from None
    count = int(config.get("num_processes") or 1)
    if preferred and len(preferred) < count:
        raise InvalidArgument(
            f"num_processes is {count} but accelerate_visible_devices names {len(preferred)} GPU(s): "
            "name as many devices as processes, or clear accelerate_visible_devices",
            field="accelerate_visible_devices",
        )
    return GpuNeed(count, preferred)


class JobQueue:
    """Submits, places, starts, follows and ends jobs."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        settings: SchedulerSettings,
        config: config_pb2_grpc.ConfigServiceStub,
        trainer: trainer_pb2_grpc.TrainerServiceStub,
        orgs: orgs_pb2_grpc.OrganizationServiceStub,
    ) -> None:
        self._runtime = runtime
        self.settings = settings
        self._config = config
        self._trainer = trainer
        self._orgs = orgs
        self.admission = Admission(runtime, settings, orgs)
        self._pass_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._node: trainer_pb2.GetNodeResponse | None = None
        self._node_read_at = 0.0
        self.last_plan = Plan()  # why each queued job waits, as of the latest pass
        self.worker_silence = timedelta(seconds=settings.lease_seconds)  # a quieter worker counts as gone
        self._index = QueueIndex()  # the queued jobs, kept in start order between passes
        self._index_lock = threading.Lock()
        self._watermark: datetime | None = None  # the newest change the index has applied
        self._reload_at = 0.0
        self._applied: dict[str, datetime] = {}  # changes inside the overlap window already applied

    # submission

    async def submit(self, request: pb.SubmitJobRequest) -> pb.SubmitJobResponse:
        who = context.caller.get()
        if request.request_id and (earlier := await self.query(store.job_of_request, who.subject, request.request_id)):
            return pb.SubmitJobResponse(accepted=True, job=await self.describe(earlier), replayed=True)
        resolved = await self._resolve(request)
        if not resolved.valid:
            return pb.SubmitJobResponse(accepted=False, errors=resolved.errors, warnings=resolved.warnings)
        job = await self._new_job(request, resolved)
        verdict = await self.admission.judge(job, request.estimated_hours or self.settings.default_job_hours)
        job.status, job.message = verdict.status, verdict.message
        if job.status == store.PENDING_APPROVAL:
            job.approval_expires_at = self.admission.expiry()
        warnings = [*resolved.warnings, *(config_pb2.ConfigProblem(message=text) for text in verdict.warnings)]
        if request.dry_run:
            described = await self._dry_run(job) if job.status == store.QUEUED else await self._describe_new(job)
            return pb.SubmitJobResponse(accepted=False, job=described, warnings=warnings)
        await self.query(store.add_job, job)
        await self.announce(job.id, pb.JOB_STATUS_UNSPECIFIED)
        self._audit("job.submitted", job)
        for breach in verdict.breaches:
            self._audit("quota.exceeded", job, quota=breach.ceiling.quota_type, detail=breach.message)
        if job.status == store.QUEUED:
            await self.dispatch()
            if request.no_wait:
                reason = self.last_plan.reason(job.id, job.gpu_count)
                if await self._move(job.id, [store.QUEUED], store.REJECTED, f"not started (no_wait): {reason}"):
                    await self.announce(job.id, pb.JOB_STATUS_QUEUED)
        stored = await self.query(store.get_job, job.id)
        assert stored is not None
        return pb.SubmitJobResponse(
            accepted=True, job=await self.describe(stored), warnings=warnings, saved_to_environment=resolved.saved
        )

    async def _describe_new(self, job: Job) -> pb.Job:
        limits = await self.limits()
        return job_message(job, effective_priority(_waiting(job), time.time(), limits.aging_seconds))

    async def _resolve(self, request: pb.SubmitJobRequest) -> config_pb2.ValidateConfigResponse:
        """The config service resolves and checks the config for the caller (restricted options included)."""
        validate = config_pb2.ValidateConfigRequest(
            fields=dict(request.fields),
            environment=request.config_name,
            use_environment_defaults=request.use_environment_defaults or not request.fields,
            disabled_fields=list(request.disabled_fields),
            save_to_environment=request.save_to_environment and not request.dry_run,
        )
        try:
            return await self._config.ValidateConfig(validate)
        except grpc.aio.AioRpcError as exc:  # no such environment, not allowed, ...: the caller's to fix
            raise relayed(exc) from None

    async def _new_job(self, request: pb.SubmitJobRequest, resolved: config_pb2.ValidateConfigResponse) -> Job:
        who = context.caller.get()
        config = json.loads(resolved.resolved_json)
        need = gpu_need(config)
        level_rank, team_key = await self._standing(who.subject, who.is_service)
        default = level_default_priority(level_rank)
        asked = PRIORITY_VALUES.get(request.priority, default)
        if asked > default and not (who.is_service or who.holds("job.priority.high")):
            raise PermissionDenied(
                f"priority {asked} is above your level's default ({default}); it needs job.priority.high",
                permission="job.priority.high",
            )
        now = utcnow()
        target = TARGET_NAMES.get(request.target, "auto")
        return Job(
            id=_new_job_id(),
            request_id=request.request_id or None,
            owner_id=who.subject,
            owner_name=who.username or who.subject,
            team_key=team_key,
            config_name=resolved.environment,
            model_family=str(config.get("model_family") or ""),
            config_json=json.dumps(config),
            configs_dir=resolved.configs_dir,
            status=store.QUEUED,
            base_priority=asked,
            priority_override=None,
            target=target,
            worker_labels_json=json.dumps(dict(request.worker_labels)),
            any_gpu=request.any_gpu,
            gpu_count=need.count,
            estimated_cost=self.admission.estimated_cost(
                need.count, request.estimated_hours or self.settings.default_job_hours
            ),
            preferred_gpus=",".join(str(gpu) for gpu in need.preferred),
            allocated_gpus="",
            placement="",
            attempt=0,
            message="",
            submitted_at=now,
            updated_at=now,
        )

    async def _standing(self, user_id: str, is_service: bool) -> tuple[int, str]:
        """The user's highest level rank and the team their use counts against."""
        if is_service:
            return 10, f"service:{user_id}"
        try:
            found = await self._orgs.GetMembership(orgs_pb2.GetMembershipRequest(user_id=user_id))
        except grpc.aio.AioRpcError as exc:
            raise relayed(exc) from None
        team = f"team:{found.team_ids[0]}" if found.team_ids else f"user:{user_id}"
        return found.level_priority, team

    async def _dry_run(self, job: Job) -> pb.Job:
        """What would happen now, recording nothing."""
        node = await self.node()
        decision, position, limits = await self.query(self._dry_run_plan, _waiting(job), node)
        placed = next((p for p in decision.start if p.job_id == job.id), None)
        job.status = store.RUNNING if placed else store.QUEUED
        job.allocated_gpus = ",".join(map(str, placed.gpus)) if placed else ""
        job.message = "" if placed else decision.reason(job.id, job.gpu_count)
        return job_message(
            job, effective_priority(_waiting(job), time.time(), limits.aging_seconds), 0 if placed else position
        )

    def _dry_run_plan(
        self, db: Any, job: Waiting, node: trainer_pb2.GetNodeResponse | None
    ) -> tuple[Plan, int, Limits]:
        with self._index_lock:
            running, usage, limits = self._state(db)
            self._index.put(job)  # for this decision only
            try:
                decision = plan(self._index, running, _devices(node), limits, usage, time.time(), _max_runs(node))
                position = _positions(self._index, limits, usage, {job.job_id}).get(job.job_id, 0)
            finally:
                self._index.discard(job.job_id)
        return decision, position, limits

    # dispatch

    def kick(self) -> None:
        """Ask for a dispatch pass soon (a job ended, a limit changed)."""
        self._wake.set()

    async def run_dispatcher(self) -> None:
        """Passes on every wake-up and at least every dispatch_interval_seconds (aging moves jobs too)."""
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.dispatch_interval_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.expire_approvals()
                await self.reconcile()
                await self.dispatch()
            except Exception:  # one bad pass must not end dispatching
                log.exception("dispatch pass failed")

    async def dispatch(self) -> list[str]:
        """One pass: start every job the policy places now; returns their ids."""
        async with self._pass_lock:
            node = await self.node()
            claimed = await self.query(self._claim_pass, node)
            started = []
            for job in claimed:
                if await self._start(job):
                    started.append(job.id)
            return started

    def _claim_pass(self, db: Any, node: trainer_pb2.GetNodeResponse | None) -> list[Job]:
        store.lock_queue(db)
        with self._index_lock:
            running, usage, limits = self._state(db)
            if node is None:  # the trainer does not answer: nothing can start locally this pass
                self.last_plan = Plan(otherwise="the local trainer is not reachable")
                return []
            idle = [
                IdleWorker(worker.name, json.loads(worker.labels_json or "{}"), worker.gpu_count)
                for worker in store.workers(db, ["idle"])
                if worker.last_heartbeat is not None and utcnow() - worker.last_heartbeat < self.worker_silence
            ]
            decision = plan(self._index, running, _devices(node), limits, usage, time.time(), _max_runs(node), idle)
        self.last_plan = decision
        claimed = [p for p in decision.start if store.claim(db, p.job_id, p.gpus, f"{LOCAL}:{node.name}")]
        db.flush()
        jobs = store.jobs_by_ids(db, [p.job_id for p in claimed])
        return [jobs[p.job_id] for p in claimed]

    def _state(self, db: Any) -> tuple[list[Running], dict[str, float], Limits]:
        """Brings the queue index up to date and reads what runs, the recent use and the limits."""
        self._sync_index(db)
        limits = queue_limits.current(db, self.settings)
        running = [
            Running(
                row.id, row.owner_id, row.team_key, tuple(indices(row.allocated_gpus)), row.placement.startswith(LOCAL)
            )
            for row in store.running_rows(db)
        ]
        usage = self._usage(db) if limits.enable_fair_share else {}
        return running, usage, limits

    def _sync_index(self, db: Any) -> None:
        """Apply the jobs changed since the last look (by anyone: other replicas too); reload all now and then."""
        if self._watermark is None or time.monotonic() >= self._reload_at:
            self._watermark = store.latest_change(db)
            self._index = QueueIndex(_waiting(row) for row in store.queued_rows(db))
            self._reload_at = time.monotonic() + INDEX_RELOAD_SECONDS
            self._applied = {}
            return
        # a little overlap: another replica's clock, or a transaction that committed late, is not missed
        for row in store.changed_since(db, self._watermark - INDEX_OVERLAP):
            if self._applied.get(row.id) == row.updated_at:
                continue  # seen in an earlier look at the overlap
            if row.status == store.QUEUED:
                self._index.put(_waiting(row))
            else:
                self._index.discard(row.id)
            self._applied[row.id] = row.updated_at
            self._watermark = max(self._watermark, row.updated_at)
        horizon = self._watermark - INDEX_OVERLAP
        self._applied = {job_id: at for job_id, at in self._applied.items() if at >= horizon}

    def _usage(self, db: Any) -> dict[str, float]:
        """GPU-seconds (a CPU job counts as one GPU) each team used within the fair-share window."""
        now = utcnow()
        since = now - timedelta(hours=self.settings.fair_share_window_hours)
        usage: dict[str, float] = {}
        for team_key, started, ended, gpus in store.usage_rows(db, since):
            seconds = ((ended or now) - max(started, since)).total_seconds()
            usage[team_key] = usage.get(team_key, 0.0) + max(0.0, seconds) * max(1, gpus)
        return usage

    async def _start(self, job: Job) -> bool:
        """Hand a claimed job to the trainer; one it cannot take goes back to the queue (or fails, if it is bad)."""
        request = trainer_pb2.StartTrainingRequest(
            job_id=job.id,
            config_json=job.config_json,
            environment=job.config_name,
            configs_dir=job.configs_dir,
            owner_id=job.owner_id,
            owner_name=job.owner_name,
            devices=indices(job.allocated_gpus),
            attempt=job.attempt,
        )
        try:
            await self._trainer.StartTraining(request, timeout=TRAINER_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED):
                await self._end(job.id, store.FAILED, f"the trainer refused it: {exc.details()}")
                return False
            log.warning("trainer could not start job %s (%s); it goes back to the queue", job.id, exc.details())
            message = f"waiting: the trainer could not start it ({exc.details()})"
            await self._move(job.id, [store.RUNNING], store.QUEUED, message, attempt=job.attempt - 1, allocated_gpus="")
            self._node = None  # ask the trainer again next pass
            return False
        await self.announce(job.id, pb.JOB_STATUS_QUEUED)
        log.info("job %s started on %s with GPUs [%s]", job.id, job.placement, job.allocated_gpus)
        return True

    async def node(self) -> trainer_pb2.GetNodeResponse | None:
        """The local trainer's machine, re-read every minute (None while it does not answer)."""
        if self._node is None or time.monotonic() - self._node_read_at > NODE_REFRESH_SECONDS:
            try:
                self._node = await self._trainer.GetNode(trainer_pb2.GetNodeRequest(), timeout=5)
                self._node_read_at = time.monotonic()
            except grpc.aio.AioRpcError as exc:
                log.warning("the local trainer does not answer (%s)", exc.details())
                self._node = None
        return self._node

    async def pick_for_worker(self, labels: dict[str, str], gpu_count: int) -> str | None:
        """The id of the first queued job in start order that this worker may run now."""
        return await self.query(self._pick_for_worker, labels, gpu_count)

    def _pick_for_worker(self, db: Any, labels: dict[str, str], gpu_count: int) -> str | None:
        with self._index_lock:
            running, usage, limits = self._state(db)
            job = pick_for_worker(self._index, running, labels, gpu_count, limits, usage, time.time())
        return job.job_id if job is not None else None

    # endings

    async def run_ended(self, job_id: str, status: int, message: str) -> None:
        """A run reported its end: the job ends the same way and its GPUs go to the next job."""
        ending = RUN_ENDINGS.get(status)  # type: ignore[call-overload]
        job = await self.query(store.get_job, job_id) if ending is not None else None
        if job is None or not job.placement.startswith(LOCAL):
            return  # a worker's job ends by its holder's fenced report, not by a relayed event
        if await self._end(job_id, ending, message):
            self.kick()

    async def follow_run_endings(self) -> None:
        """A durable consumer of the runs' status events: each ending reaches the job exactly once."""
        subscription = await self._runtime.bus.js.pull_subscribe(
            training_status_filter(),
            durable=RUN_ENDINGS_CONSUMER,
            stream=streams.TRAINING.name,
            config=ConsumerConfig(
                durable_name=RUN_ENDINGS_CONSUMER, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.NEW
            ),
        )
        try:
            while True:
                try:
                    messages = await subscription.fetch(20, timeout=1.0)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue
                except nats.errors.Error as exc:  # disconnected: the bus reconnects by itself
                    log.warning("run endings consumer could not fetch: %s", exc)
                    await asyncio.sleep(1.0)
                    continue
                for message in messages:
                    change = ev.Event.FromString(message.data or b"").training_status_changed
                    await self.run_ended(change.job_id, change.status, change.message)
                    await message.ack()
        finally:
            with contextlib.suppress(nats.errors.Error):  # before the bus closes: drain would wait 30 s
                await subscription.unsubscribe()

    async def reconcile(self) -> None:
        """Running jobs whose run ended unseen, or never began (a pass died between claim and start)."""
        node = self._node
        if node is None:
            return
        running = await self.query(store.running_rows)
        grace = self.settings.start_grace_seconds
        for row in running:
            if not row.placement.startswith(LOCAL) or (utcnow() - row.started_at).total_seconds() < grace:
                continue
            try:
                reply = await self._trainer.GetTrainingStatus(trainer_pb2.GetTrainingStatusRequest(job_id=row.id))
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    message = "waiting: its start was not confirmed by the trainer"
                    await self._move(row.id, [store.RUNNING], store.QUEUED, message, allocated_gpus="")
                    self.kick()
                continue
            await self.run_ended(row.id, reply.run.status, reply.run.message)

    async def _end(self, job_id: str, status: str, message: str) -> bool:
        if await self._move(job_id, [store.RUNNING], status, message):
            await self.announce(job_id, pb.JOB_STATUS_RUNNING)
            return True
        return False

    # steering

    async def cancel(self, job_id: str) -> Job:
        job = await self.visible(job_id, "queue.cancel.all")
        if job.status in store.WAITING:
            if await self._move(job.id, store.WAITING, store.CANCELLED, "cancelled before it started"):
                await self.announce(job.id, STATUS_NUMBERS[job.status])
                self._audit("job.cancelled", job)
        elif job.status == store.RUNNING:
            await self._cancel_run(job)
        else:
            raise InvalidArgument(f"job {job_id} already ended ({job.status})", job_id=job_id)
        return await self._reload(job)

    async def _cancel_run(self, job: Job) -> None:
        try:
            await self._trainer.CancelTraining(trainer_pb2.CancelTrainingRequest(job_id=job.id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise relayed(exc) from None
        await self._end(job.id, store.CANCELLED, "cancelled on request")
        self._audit("job.cancelled", job)
        self.kick()

    async def set_priority(self, job_id: str, priority: int | None) -> tuple[Job, int]:
        if priority is not None and not 0 <= priority <= 50:
            raise InvalidArgument(f"priority must be 0-50, not {priority}", field="priority")
        job = await self.visible(job_id, "queue.view.all")
        before = effective_priority(_waiting(job), time.time(), self.settings.aging_seconds)
        await self.query(store.update_job, job.id, priority_override=priority)
        await self.announce(job.id, STATUS_NUMBERS[job.status])
        self.kick()
        return await self._reload(job), before

    # approvals

    async def decide(self, job_id: str, approve: bool, reason: str) -> Job:
        """An approver's decision on a job waiting for approval; audited and published."""
        who = context.caller.get()
        job = await self.visible(job_id, "queue.approve")
        if job.status != store.PENDING_APPROVAL:
            raise FailedPrecondition(f"job {job_id} is not waiting for approval (it is {job.status})", job_id=job_id)
        if job.owner_id == who.subject and not who.holds("admin.queue"):  # four eyes, unless you run the queue
            raise PermissionDenied(
                "deciding on your own job needs admin.queue: ask another approver", permission="admin.queue"
            )
        said = f": {reason}" if reason else ""
        if approve:
            moved = await self._move(job.id, [store.PENDING_APPROVAL], store.QUEUED, "", approval_expires_at=None)
        else:
            message = f"rejected by {who.username}{said}"
            moved = await self._move(job.id, [store.PENDING_APPROVAL], store.REJECTED, message)
        if not moved:
            raise FailedPrecondition(f"job {job_id} was decided or cancelled meanwhile", job_id=job_id)
        self._audit("job.approved" if approve else "job.rejected", job, reason=reason)
        await self.announce(job.id, pb.JOB_STATUS_PENDING_APPROVAL)
        self.kick()
        return await self._reload(job)

    async def expire_approvals(self) -> None:
        """Requests nobody decided in time are rejected, so no job waits for ever."""
        for job_id in await self.query(store.expired_approvals, utcnow()):
            message = "rejected: the approval request expired without a decision"
            if await self._move(job_id, [store.PENDING_APPROVAL], store.REJECTED, message):
                await self.announce(job_id, pb.JOB_STATUS_PENDING_APPROVAL)

    # reading

    async def visible(self, job_id: str, all_permission: str) -> Job:
        """The job, if the caller may see it; another user's job is not found (404)."""
        who = context.caller.get()
        job = await self.query(store.get_job, job_id)
        if job is None or not (who.is_service or who.holds(all_permission) or job.owner_id == who.subject):
            raise NotFound(f"no job {job_id}", job_id=job_id)
        return job

    async def describe(self, job: Job) -> pb.Job:
        return (await self.describe_many([job]))[0]

    async def describe_many(self, jobs: list[Job]) -> list[pb.Job]:
        """Messages with effective priorities and, for queued jobs, their 1-based queue positions."""
        wanted = {job.id for job in jobs if job.status == store.QUEUED}
        positions, limits = await self.query(self._positions_of, wanted)
        now = time.time()
        messages = []
        for job in jobs:
            effective = effective_priority(_waiting(job), now, limits.aging_seconds)
            message = job_message(job, effective, positions.get(job.id, 0))
            if job.status == store.QUEUED and not job.message:
                message.message = "waiting: " + self.last_plan.reason(job.id, job.gpu_count)
            messages.append(message)
        return messages

    def _positions_of(self, db: Any, wanted: set[str]) -> tuple[dict[str, int], Limits]:
        with self._index_lock:
            _, usage, limits = self._state(db)
            return _positions(self._index, limits, usage, wanted), limits

    async def limits(self) -> Limits:
        return await self.query(queue_limits.current, self.settings)

    async def change_limits(self, changes: dict[str, Any]) -> Limits:
        limits = await self.query(queue_limits.change, self.settings, changes)
        self.kick()
        return limits

    # plumbing

    async def _move(self, job_id: str, from_statuses: Any, to_status: str, message: str, **values: Any) -> bool:
        return await self.query(store.move, job_id, list(from_statuses), to_status, message, **values)

    async def _reload(self, job: Job) -> Job:
        return await self.query(store.get_job, job.id) or job

    async def announce(self, job_id: str, previous: int) -> None:
        """Publish the job's new state on simpletuner.jobs.<id>.state (dashboards, notifiers)."""
        job = await self.query(store.get_job, job_id)
        if job is None:
            return
        change = ev.JobStateChanged(job=await self.describe(job), previous_status=previous)  # type: ignore[arg-type]
        try:
            await self._runtime.bus.publish(
                job_state_subject(job_id), new_event(self._runtime.source, job_state_changed=change)
            )
        except Exception as exc:  # the database holds the truth; the bus catches up with the next change
            log.warning("could not publish job %s's state: %s", job_id, exc)

    def _audit(self, event_type: str, job: Job, **extra: str) -> None:
        if self._runtime.auth is None:
            return
        who = context.caller.get()
        details = {"config_name": job.config_name, "owner": job.owner_name, **extra}
        self._runtime.auth.record(
            auth_pb2.AuditEvent(
                event_type=event_type,
                actor_id=who.subject,
                actor_username=who.username,
                actor_ip=context.client_ip.get(),
                target_type="job",
                target_id=job.id,
                details_json=json.dumps(details),
            )
        )

    async def query(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._runtime.database.run(query, *args, **kwargs)


def _new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def _waiting(job: Any) -> Waiting:
    """A Job, or a row of store.WAITING_COLUMNS (same attribute names), as the policy sees it."""
    return Waiting(
        job_id=job.id,
        owner_id=job.owner_id,
        team_key=job.team_key,
        base_priority=job.base_priority,
        override=job.priority_override,
        submitted=job.submitted_at.timestamp(),
        gpu_count=job.gpu_count,
        preferred=tuple(indices(job.preferred_gpus)),
        any_gpu=job.any_gpu,
        local_allowed=job.target != "worker",
        worker_allowed=job.target != "local",
        worker_labels=tuple(sorted(json.loads(job.worker_labels_json or "{}").items())),
    )


def _positions(index: QueueIndex, limits: Limits, usage: dict[str, float], wanted: set[str]) -> dict[str, int]:
    """1-based queue places of the wanted jobs (the walk stops once all are found)."""
    found: dict[str, int] = {}
    if not wanted:
        return found
    for place, job in enumerate(index.in_start_order(limits, usage, time.time()), start=1):
        if job.job_id in wanted:
            found[job.job_id] = place
            if len(found) == len(wanted):
                break
    return found


def _devices(node: trainer_pb2.GetNodeResponse | None) -> list[int]:
    return [gpu.index for gpu in node.gpus] if node is not None else []


def _max_runs(node: trainer_pb2.GetNodeResponse | None) -> int | None:
    return node.max_runs if node is not None and node.max_runs else None
