"""Remote workers: the registry (tokens kept as hashes), and jobs taken under leases fenced by attempt numbers.

A worker claims the best queued job it matches (label globs, GPUs) and holds it while its heartbeat renews the
lease. A worker that goes silent loses the lease: the job queues again (not a failure) and the next lease is a
new attempt, so a stale worker's heartbeat or report changes nothing and two workers never run one job.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import shlex
import uuid
from datetime import timedelta

from simpletuner.api.scheduler.v1 import scheduler_pb2 as pb
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unauthenticated
from simpletuner.libs.timestamps import timestamp

from . import store
from .models import Worker
from .queue import JobQueue

log = logging.getLogger("simpletuner.scheduler.workers")
TOKEN_PREFIX = "wt_"
CONNECTING, IDLE, BUSY, DRAINING, OFFLINE = "connecting", "idle", "busy", "draining", "offline"
STATUS_NUMBERS = {
    CONNECTING: pb.WORKER_STATUS_CONNECTING,
    IDLE: pb.WORKER_STATUS_IDLE,
    BUSY: pb.WORKER_STATUS_BUSY,
    DRAINING: pb.WORKER_STATUS_DRAINING,
    OFFLINE: pb.WORKER_STATUS_OFFLINE,
}
STATUS_NAMES = {number: name for name, number in STATUS_NUMBERS.items()}
REPORTABLE = (store.COMPLETED, store.FAILED, store.STOPPED, store.CANCELLED)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def connection_command(url: str, token: str, labels: dict[str, str]) -> str:
    words = ["simpletuner", "worker", "--orchestrator", url or "http://ORCHESTRATOR:8001", "--token", token]
    for key, value in sorted(labels.items()):
        words += ["--labels", f"{key}={value}"]
    return shlex.join(words)


def worker_message(worker: Worker) -> pb.Worker:
    message = pb.Worker(
        worker_id=worker.id,
        name=worker.name,
        worker_type=worker.worker_type,
        status=STATUS_NUMBERS[worker.status],
        gpu_name=worker.gpu_name,
        gpu_count=worker.gpu_count,
        labels=json.loads(worker.labels_json or "{}"),
        current_job_id=worker.current_job_id,
        create_time=timestamp(worker.created_at),
    )
    if (beat := timestamp(worker.last_heartbeat)) is not None:
        message.last_heartbeat.CopyFrom(beat)
    return message


class Workers:
    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    # the registry (admins)

    async def create(self, name: str, worker_type: str, labels: dict[str, str], url: str) -> pb.CreateWorkerResponse:
        if not name.strip():
            raise InvalidArgument("a worker needs a name", field="name")
        if worker_type not in ("", "persistent", "ephemeral"):
            raise InvalidArgument("worker_type is persistent or ephemeral", field="worker_type")
        if await self._queue.query(store.worker_named, name.strip()):
            raise AlreadyExists(f"a worker named {name!r} exists", name=name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        worker = Worker(
            id=uuid.uuid4().hex[:12],
            name=name.strip(),
            worker_type=worker_type or "persistent",
            labels_json=json.dumps(labels),
            token_hash=hash_token(token),
            status=CONNECTING,
            gpu_name="",
            gpu_count=0,
            current_job_id="",
            created_at=utcnow(),
        )
        await self._queue.query(store.add_worker, worker)
        command = connection_command(url, token, labels)
        return pb.CreateWorkerResponse(worker=worker_message(worker), token=token, connection_command=command)

    async def list(self, statuses: list[str]) -> list[pb.Worker]:
        return [worker_message(w) for w in await self._queue.query(store.workers, statuses)]

    async def change(self, worker_id: str, change: int, url: str) -> pb.ChangeWorkerResponse:
        worker = await self._queue.query(store.get_worker, worker_id)
        if worker is None:
            raise NotFound(f"no worker {worker_id}", worker_id=worker_id)
        if change == pb.WORKER_CHANGE_DRAIN:
            await self._queue.query(store.update_worker, worker.id, status=DRAINING)
        elif change == pb.WORKER_CHANGE_REMOVE:
            if worker.current_job_id:  # its job queues again rather than waiting for a worker that will not come
                await self._lose(worker.current_job_id, f"worker {worker.name} was removed")
            await self._queue.query(store.delete_worker, worker.id)
            return pb.ChangeWorkerResponse()
        elif change == pb.WORKER_CHANGE_ROTATE_TOKEN:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            await self._queue.query(store.update_worker, worker.id, token_hash=hash_token(token))
            labels = json.loads(worker.labels_json or "{}")
            changed = await self._queue.query(store.get_worker, worker.id)
            assert changed is not None
            command = connection_command(url, token, labels)
            return pb.ChangeWorkerResponse(worker=worker_message(changed), token=token, connection_command=command)
        else:
            raise InvalidArgument("change is drain, remove or rotate_token", field="change")
        changed = await self._queue.query(store.get_worker, worker.id)
        assert changed is not None
        return pb.ChangeWorkerResponse(worker=worker_message(changed))

    # the worker's own calls

    async def call(self, request: pb.WorkerCallRequest) -> pb.WorkerCallResponse:
        worker = await self._queue.query(store.worker_by_token, hash_token(request.token))
        if worker is None:
            raise Unauthenticated("unknown worker token: create the worker (POST /api/admin/workers) or rotate it")
        handlers = {
            pb.WORKER_ACTION_REGISTER: self._register,
            pb.WORKER_ACTION_HEARTBEAT: self._heartbeat,
            pb.WORKER_ACTION_CLAIM: self._claim,
            pb.WORKER_ACTION_REPORT: self._report,
        }
        if request.action not in handlers:
            raise InvalidArgument("action is register, heartbeat, claim or report", field="action")
        return await handlers[request.action](worker, request)

    async def _register(self, worker: Worker, request: pb.WorkerCallRequest) -> pb.WorkerCallResponse:
        status = DRAINING if worker.status == DRAINING else (BUSY if worker.current_job_id else IDLE)
        labels = dict(request.labels) or json.loads(worker.labels_json or "{}")
        await self._queue.query(
            store.update_worker,
            worker.id,
            gpu_name=request.gpu_name,
            gpu_count=max(0, request.gpu_count),
            labels_json=json.dumps(labels),
            status=status,
            last_heartbeat=utcnow(),
        )
        return await self._answer(worker.id, worker.current_job_id)  # a job it still holds: resume or abandon

    async def _heartbeat(self, worker: Worker, request: pb.WorkerCallRequest) -> pb.WorkerCallResponse:
        now = utcnow()
        await self._queue.query(store.update_worker, worker.id, last_heartbeat=now)
        if not request.job_id:
            return await self._answer(worker.id)
        until = now + timedelta(seconds=self._queue.settings.lease_seconds)
        renewed = await self._queue.query(store.renew_lease, request.job_id, worker.id, request.attempt, until)
        if not renewed and worker.current_job_id == request.job_id:  # it stops that run: free for the next job
            status = DRAINING if worker.status == DRAINING else IDLE
            await self._queue.query(store.update_worker, worker.id, status=status, current_job_id="")
        answer = await self._answer(worker.id, request.job_id)
        if renewed:
            answer.lease_expire_time.FromDatetime(until)
        else:  # lost (expired, re-queued, cancelled): the worker must stop, another attempt may be running
            answer.abandon = True
        return answer

    async def _claim(self, worker: Worker, request: pb.WorkerCallRequest) -> pb.WorkerCallResponse:
        beat = {"last_heartbeat": utcnow()} | ({"status": IDLE} if worker.status == OFFLINE else {})
        await self._queue.query(store.update_worker, worker.id, **beat)  # asking for work is a sign of life
        worker.status = str(beat.get("status", worker.status))
        if worker.status in (DRAINING, OFFLINE) or worker.current_job_id:
            answer = await self._answer(worker.id)
            answer.shutdown = worker.status == DRAINING and not worker.current_job_id
            return answer
        labels = json.loads(worker.labels_json or "{}")
        picked = await self._queue.pick_for_worker(labels, worker.gpu_count)
        until = utcnow() + timedelta(seconds=self._queue.settings.lease_seconds)
        if picked is None or not await self._queue.query(store.lease, picked, worker.id, until):
            return await self._answer(worker.id)  # nothing for it now (or another worker was faster): ask again
        await self._queue.query(store.update_worker, worker.id, status=BUSY, current_job_id=picked)
        await self._queue.announce(picked, pb.JOB_STATUS_QUEUED)
        job = await self._queue.query(store.get_job, picked)
        assert job is not None
        answer = await self._answer(worker.id, picked)
        answer.config_json = job.config_json
        answer.lease_expire_time.FromDatetime(until)
        return answer

    async def _report(self, worker: Worker, request: pb.WorkerCallRequest) -> pb.WorkerCallResponse:
        if request.status not in REPORTABLE:
            raise InvalidArgument(f"status is one of {', '.join(REPORTABLE)}", field="status")
        ended = await self._queue.query(
            store.end_leased, request.job_id, worker.id, request.attempt, request.status, request.message
        )
        if worker.current_job_id == request.job_id:
            leaving = worker.worker_type == "ephemeral" or worker.status == DRAINING
            status = OFFLINE if leaving else IDLE
            await self._queue.query(store.update_worker, worker.id, status=status, current_job_id="")
        if ended:
            await self._queue.announce(request.job_id, pb.JOB_STATUS_RUNNING)
            self._queue.kick()
        answer = await self._answer(worker.id, request.job_id)
        answer.abandon = not ended  # a stale attempt: its result is not the job's
        answer.shutdown = worker.worker_type == "ephemeral" or worker.status == DRAINING
        return answer

    # leases running out

    async def watch_leases(self) -> None:
        """Background: look for expired leases a few times per lease period."""
        while True:
            await asyncio.sleep(min(5.0, self._queue.settings.lease_seconds / 3))
            try:
                await self.expire_leases()
            except Exception:  # the next look tries again
                log.exception("checking worker leases failed")

    async def expire_leases(self) -> None:
        """Silent workers lose their jobs (each goes back to the queue for its next attempt) and go offline."""
        silent_since = utcnow() - self._queue.worker_silence
        await self._queue.query(store.mark_silent_offline, silent_since)
        for job_id, attempt, placement in await self._queue.query(store.expired_leases, utcnow()):
            worker_id = placement.removeprefix("worker:")
            if await self._queue.query(store.requeue_lost, job_id, attempt, "re-queued: its worker lost the lease"):
                await self._queue.query(store.update_worker, worker_id, status=OFFLINE, current_job_id="")
                await self._queue.announce(job_id, pb.JOB_STATUS_RUNNING)
                self._queue.kick()

    async def _lose(self, job_id: str, why: str) -> None:
        job = await self._queue.query(store.get_job, job_id)
        if job is not None and job.status == store.RUNNING:
            if await self._queue.query(store.requeue_lost, job.id, job.attempt, f"re-queued: {why}"):
                await self._queue.announce(job.id, pb.JOB_STATUS_RUNNING)
                self._queue.kick()

    async def _answer(self, worker_id: str, job_id: str = "") -> pb.WorkerCallResponse:
        worker = await self._queue.query(store.get_worker, worker_id)
        if worker is None:
            raise FailedPrecondition("this worker was removed", worker_id=worker_id)
        answer = pb.WorkerCallResponse(worker=worker_message(worker))
        if job_id and (job := await self._queue.query(store.get_job, job_id)) is not None:
            answer.job.CopyFrom(await self._queue.describe(job))
        return answer
