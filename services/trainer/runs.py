"""Training runs on this machine: each its own process group, followed through its events file, steered with
signals, and reported truthfully however it ends — also across a restart of this service.

A run that dies without saying why (kill -9, out of memory, a crash in native code) is reported failed with
its exit status and the last lines it wrote. Events the run could not publish before it died are replayed
to the bus from its events file under their own ids, so JetStream stores each one once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nats.js.errors import NotFoundError

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.bus import streams
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import event_type, new_event
from simpletuner.libs.bus.subjects import TRAINING_KINDS, training_subject
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.errors import FailedPrecondition

from . import store
from .models import Run
from .run_process import CHECKPOINT_SIGNAL, EVENTS_FILE, OUTPUT_FILE, VALIDATE_SIGNAL, RunSpec, run_environment
from .run_state import EventsFile, RunSnapshot, log_tail, snapshot_columns, status_name

log = logging.getLogger("simpletuner.trainer.runs")

FOLLOW_SECONDS = 0.1  # how often a run's events file is read (bounds what the status lags behind)
PROGRESS_SAVE_SECONDS = 2.0  # progress reaches the database at most this often (status changes at once)
REPLAY_ATTEMPTS = 60
FINISHING_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Owner:
    user_id: str
    username: str


@dataclass(frozen=True)
class Placement:
    """A job the scheduler placed on this machine: what to train, for whom, on which GPUs."""

    job_id: str
    owner: Owner
    config: dict[str, Any]
    environment: str
    configs_dir: str
    devices: tuple[int, ...] = ()
    attempt: int = 1


@dataclass
class LiveRun:
    """A run whose process this service is following."""

    run_id: str
    job_id: str
    pid: int
    events: EventsFile
    snapshot: RunSnapshot
    run_dir: Path
    process: asyncio.subprocess.Process | None = None  # None for a run adopted after a restart
    process_start: float | None = None
    cancel_requested: bool = False
    saved_at: float = 0.0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class RunManager:
    """Starts, follows, steers and finishes the training processes of this trainer service."""

    def __init__(
        self,
        database: Database,
        bus: Bus,
        workspace: Path,
        runs_dir: Path,
        nats_url: str,
        source: str,
        max_runs: int,
        has_gpus: bool = False,
        hub_token: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        self._db = database
        self._workspace = workspace
        self._bus = bus
        self._runs_dir = runs_dir
        self._nats_url = nats_url
        self._source = source
        self._max_runs = max_runs
        self._has_gpus = has_gpus
        self._hub_token = hub_token  # user id -> that user's Hub token, for runs that push to the Hub
        self._live: dict[str, LiveRun] = {}
        self._start_lock = asyncio.Lock()

    # starting

    async def start(self, placed: Placement) -> Run:
        """Start the run of a job the scheduler placed here (the same job twice: its existing run)."""
        async with self._start_lock:
            with self._db.session() as db:
                if (earlier := store.run_of_job(db, placed.job_id)) is not None and earlier.attempt >= placed.attempt:
                    return earlier
            await self._wait_for_finishing_runs()
            if len(self._live) >= self._max_runs:
                running = ", ".join(sorted(self._live))
                raise FailedPrecondition(
                    f"this trainer runs {self._max_runs} job(s) at a time and job {running} is running: "
                    "the scheduler retries once one ends",
                    running=running,
                )
            run_dir = self._runs_dir / (placed.job_id if placed.attempt == 1 else f"{placed.job_id}-{placed.attempt}")
            config = placed.config
            spec = RunSpec(
                placed.job_id,
                config,
                str(self._workspace),
                placed.configs_dir,
                self._nats_url,
                self._source,
                processes=max(1, len(placed.devices)),
            )
            await asyncio.to_thread(spec.write, run_dir)
            run = Run(
                id=uuid.uuid4().hex,
                job_id=placed.job_id,
                status=status_name(ev.TRAINING_STATUS_STARTING),
                started_at=utcnow(),
                owner_id=placed.owner.user_id,
                owner_name=placed.owner.username,
                environment=placed.environment,
                model_family=str(config.get("model_family") or ""),
                config_json=json.dumps(config),
                run_dir=str(run_dir),
                output_dir=str(self._workspace / str(config.get("output_dir") or "")),  # relative: in the workspace
                devices=",".join(str(index) for index in placed.devices),
                attempt=placed.attempt,
            )
            hub_token = await self._owner_hub_token(placed)  # before the record: a failure here leaves none
            with self._db.session() as db:  # recorded before it exists, so no process runs unrecorded
                store.add_run(db, run)
            try:
                process = await self._spawn(run_dir, placed.devices, hub_token)
            except OSError as exc:
                self._save_columns(run.id, {"status": status_name(ev.TRAINING_STATUS_FAILED), "message": str(exc)})
                raise
            run.pid, run.process_start = process.pid, process_start_time(process.pid)
            self._save_columns(run.id, {"pid": run.pid, "process_start": run.process_start})
            events = EventsFile(run_dir / EVENTS_FILE)
            live = LiveRun(
                run.id, placed.job_id, process.pid, events, RunSnapshot(), run_dir, process, run.process_start
            )
            self._follow(live)
            log.info(
                "started job %s (pid %s, devices %s) for %s",
                placed.job_id,
                process.pid,
                run.devices or "-",
                placed.owner.username,
            )
            return run

    async def _wait_for_finishing_runs(self) -> None:
        """A run that reported its end is only flushing and exiting: give it a moment rather than refuse."""
        finishing = [live.task for live in self._live.values() if live.snapshot.finished and live.task is not None]
        if finishing and len(self._live) - len(finishing) < self._max_runs:
            await asyncio.wait(finishing, timeout=FINISHING_WAIT_SECONDS)

    async def _owner_hub_token(self, placed: Placement) -> str:
        if not placed.config.get("push_to_hub") or self._hub_token is None:
            return ""
        return await self._hub_token(placed.owner.user_id)

    async def _spawn(self, run_dir: Path, devices: tuple[int, ...], hub_token: str = "") -> asyncio.subprocess.Process:
        output = (run_dir / OUTPUT_FILE).open("ab")
        env = run_environment(devices if self._has_gpus else None, hub_token)
        try:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "simpletuner.services.trainer.run_process",
                str(run_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop and cancel reach every child it starts
                env=env,
            )
        finally:
            output.close()

    # steering

    def live(self, job_id: str) -> LiveRun | None:
        return self._live.get(job_id)

    def snapshot(self, job_id: str) -> RunSnapshot | None:
        live = self._live.get(job_id)
        return live.snapshot if live else None

    def stop(self, job_id: str) -> None:
        """Graceful: the run finishes its step, saves a checkpoint and exits."""
        self._signal(self._require_live(job_id), signal.SIGTERM)

    async def cancel(self, job_id: str) -> None:
        """Kill the run's whole process tree now, and wait until it has ended and been recorded."""
        live = self._require_live(job_id)
        live.cancel_requested = True
        self._signal(live, signal.SIGKILL)
        if live.task is not None:
            await asyncio.shield(live.task)

    def trigger_validation(self, job_id: str) -> None:
        self._signal(self._require_running(job_id), VALIDATE_SIGNAL)

    def trigger_checkpoint(self, job_id: str) -> None:
        self._signal(self._require_running(job_id), CHECKPOINT_SIGNAL)

    def _require_live(self, job_id: str) -> LiveRun:
        live = self._live.get(job_id)
        if live is None:
            raise FailedPrecondition(f"job {job_id} is not running", job_id=job_id)
        return live

    def _require_running(self, job_id: str) -> LiveRun:
        live = self._require_live(job_id)
        if live.snapshot.finished:
            raise FailedPrecondition(f"job {job_id} is finishing", job_id=job_id)
        return live

    @staticmethod
    def _signal(live: LiveRun, sig: signal.Signals) -> None:
        try:
            os.killpg(live.pid, sig)
        except ProcessLookupError:
            pass  # it ended a moment ago; the follower records how

    # following

    def _follow(self, live: LiveRun) -> None:
        self._live[live.job_id] = live
        live.task = asyncio.create_task(self._follow_until_exit(live), name=f"follow-{live.job_id}")

    async def _follow_until_exit(self, live: LiveRun) -> None:
        exit_code: int | None = None
        try:
            while True:
                await self._read_events(live)
                if live.process is not None:
                    try:
                        exit_code = await asyncio.wait_for(live.process.wait(), FOLLOW_SECONDS)
                        break
                    except TimeoutError:
                        continue
                if not process_alive(live.pid, live.process_start):
                    break
                await asyncio.sleep(FOLLOW_SECONDS)
            await self._read_events(live)
            await self._finish(live, exit_code)
        finally:
            self._live.pop(live.job_id, None)

    async def _read_events(self, live: LiveRun) -> None:
        """Fold new events into a copy, record it (with the log tail once failed), then show it: the RPCs that
        read the snapshot never see a state the database does not hold yet."""
        events = await asyncio.to_thread(live.events.read_new)
        if not events and time.monotonic() - live.saved_at <= PROGRESS_SAVE_SECONDS:
            return
        snapshot = live.snapshot.copy()
        for event in events:
            snapshot.fold(event)
        changed = _milestones(snapshot) != _milestones(live.snapshot)
        if changed or time.monotonic() - live.saved_at > PROGRESS_SAVE_SECONDS:
            columns = snapshot_columns(snapshot)
            if changed and snapshot.status == ev.TRAINING_STATUS_FAILED:
                columns["log_tail"] = await asyncio.to_thread(log_tail, live.run_dir / OUTPUT_FILE)
            live.saved_at = time.monotonic()
            await asyncio.to_thread(self._save_columns, live.run_id, columns)
        live.snapshot = snapshot

    def _save_columns(self, run_id: str, columns: dict[str, Any]) -> None:
        with self._db.session() as db:
            store.update_run(db, run_id, **columns)

    # finishing

    async def _finish(self, live: LiveRun, exit_code: int | None) -> None:
        """Record how the run ended (with its log tail) before anyone can see that it ended, then announce it."""
        await self._replay(live)
        outcome, reason = self._outcome(live, exit_code)
        announce = outcome != live.snapshot.status or (
            outcome == ev.TRAINING_STATUS_FAILED and not live.snapshot.message
        )
        ended = RunSnapshot(
            outcome, reason if announce else live.snapshot.message, live.snapshot.progress, live.snapshot.stages
        )
        tail = await asyncio.to_thread(log_tail, live.run_dir / OUTPUT_FILE)
        ending = {"exit_code": exit_code, "finished_at": datetime.now(UTC), "log_tail": tail}
        await asyncio.to_thread(self._save_columns, live.run_id, snapshot_columns(ended) | ending)
        live.snapshot = ended
        if announce:
            change = ev.TrainingStatusChanged(job_id=live.job_id, status=outcome, message=reason)  # type: ignore[arg-type]
            await self._publish(new_event(self._source, training_status_changed=change))
        log.info("job %s ended %s (exit %s)", live.job_id, status_name(outcome), exit_code)

    @staticmethod
    def _outcome(live: LiveRun, exit_code: int | None) -> tuple[int, str]:
        """How the run ended: its own last word when it said one, else what its exit tells."""
        if live.cancel_requested:
            return ev.TRAINING_STATUS_CANCELLED, "cancelled on request: the process tree was killed"
        if live.snapshot.finished:
            return live.snapshot.status, live.snapshot.message
        return ev.TRAINING_STATUS_FAILED, exit_reason(exit_code)

    async def _replay(self, live: LiveRun) -> None:
        """Publish what the bus does not have yet (same ids, so what it has is not stored twice)."""
        events = await asyncio.to_thread(live.events.read_all)
        if not events:
            return
        for attempt in range(REPLAY_ATTEMPTS):
            try:
                stored = await self._last_stored_index(live.job_id, [event.id for event in events])
                for event in events[stored + 1 :]:
                    await self._bus.publish(training_subject(live.job_id, event_type(event)), event)
                return
            except Exception as exc:  # the bus may be restarting
                log.warning("replaying job %s's events failed (%s); attempt %d", live.job_id, exc, attempt + 1)
                await asyncio.sleep(1.0)

    async def _last_stored_index(self, job_id: str, ids: list[str]) -> int:
        """The file position of the newest event of the job the stream holds (-1 when it holds none)."""
        positions = {event_id: index for index, event_id in enumerate(ids)}
        newest = -1
        for payload in TRAINING_KINDS:
            try:
                message = await self._bus.js.get_last_msg(streams.TRAINING.name, training_subject(job_id, payload))
            except NotFoundError:
                continue
            newest = max(newest, positions.get(ev.Event.FromString(message.data or b"").id, -1))
        return newest

    async def _publish(self, event: ev.Event) -> None:
        payload = event_type(event)
        subject = training_subject(getattr(event, payload).job_id, payload)
        for _ in range(REPLAY_ATTEMPTS):
            try:
                await self._bus.publish(subject, event)
                return
            except Exception as exc:
                log.warning("publishing %s failed (%s); retrying", payload, exc)
                await asyncio.sleep(1.0)

    # service lifecycle

    async def adopt(self) -> None:
        """After a restart: follow runs whose process still lives, finish those that ended meanwhile."""
        with self._db.session() as db:
            active = store.active_runs(db)
        for run in active:
            snapshot = RunSnapshot.from_columns(run.status, run.message, run.progress_json, run.stages_json)
            run_dir = Path(run.run_dir)
            events = EventsFile(run_dir / EVENTS_FILE)
            live = LiveRun(run.id, run.job_id, run.pid or 0, events, snapshot, run_dir, None, run.process_start)
            if process_alive(live.pid, live.process_start):
                log.info("re-adopting job %s (pid %s)", run.job_id, run.pid)
            self._follow(live)  # a dead one is finished at once by the follower

    async def shutdown(self) -> None:
        """Ask every run to stop gracefully (each saves a checkpoint to resume from) and stop following."""
        for live in list(self._live.values()):
            self._signal(live, signal.SIGTERM)
        for live in list(self._live.values()):
            if live.task is not None:
                live.task.cancel()


def _milestones(snapshot: RunSnapshot) -> tuple[int, tuple[tuple[str, int], ...]]:
    """What is worth a database write at once: the status and each stage's state (progress can wait)."""
    return snapshot.status, tuple((key, stage.status) for key, stage in snapshot.stages.items())


def exit_reason(exit_code: int | None) -> str:
    if exit_code is None:
        return "the training process ended while the trainer service was not watching, without reporting why"
    if exit_code < 0:
        name = signal.Signals(-exit_code).name
        hint = " (often the out-of-memory killer)" if -exit_code == signal.SIGKILL else ""
        return f"the training process was killed by {name}{hint} before it finished"
    return f"the training process exited with code {exit_code} without reporting why; see the log tail"


def process_start_time(pid: int) -> float | None:
    """The process's start time in clock ticks since boot (tells our process from a later one with its pid)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return float(fields[19])


def process_alive(pid: int, started: float | None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _is_zombie(pid):
        return False
    now = process_start_time(pid)
    return started is None or now is None or now == started


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
