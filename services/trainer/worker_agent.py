"""`simpletuner worker`: this machine trains jobs for a remote orchestrator, over its HTTP API only.

It registers with its GPUs and labels, claims a job under a lease, runs it as the trainer service runs its own
(one training process in its own session, with CUDA_VISIBLE_DEVICES), relays the run's events to the
orchestrator's bus (each post renews the lease), and reports how it ended. A lost lease (the orchestrator
gave the job to another worker) kills the run at once. Ephemeral and drained workers leave after their job.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from google.protobuf import json_format

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.gpus import discover
from simpletuner.libs.settings import StackSettings

from .run_process import EVENTS_FILE, OUTPUT_FILE, RunSpec, run_environment
from .run_state import EventsFile
from .runs import exit_reason

log = logging.getLogger("simpletuner.worker")

CLAIM_SECONDS = 2.0  # how often an idle worker asks for a job
RELAY_SECONDS = 1.0  # how often a running job's new events are sent (and its lease renewed)
ENDINGS = {
    ev.TRAINING_STATUS_COMPLETED: "completed",
    ev.TRAINING_STATUS_FAILED: "failed",
    ev.TRAINING_STATUS_CANCELLED: "cancelled",
    ev.TRAINING_STATUS_STOPPED: "stopped",
}


class OrchestratorError(Exception):
    """The orchestrator refused a call; the message says why."""


@dataclass
class Lease:
    job_id: str
    attempt: int
    config: dict[str, Any]
    gpu_count: int
    hub_token: str = ""  # the job owner's, when the run pushes to the Hub


class WorkerAgent:
    def __init__(self, orchestrator: str, token: str, labels: dict[str, str], workspace: Path, gpus: str) -> None:
        self._http = httpx.Client(base_url=orchestrator, headers={"X-Worker-Token": token}, timeout=30)
        self._labels = labels
        self._workspace = workspace
        self._inventory = discover(gpus)
        self._stopping = False

    def run(self) -> int:
        """Register, then claim and run jobs until told to leave (or SIGTERM)."""
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "_stopping", True))
        first = self._inventory.gpus[0].name if self._inventory.gpus else ""
        registered = self._call(
            "register", {"gpu_name": first, "gpu_count": len(self._inventory.gpus), "labels": self._labels}
        )
        log.info("registered as %s (%d GPU(s))", registered["worker"]["name"], len(self._inventory.gpus))
        if registered.get("job") and registered["job"]["status"] == "running":
            log.warning("job %s was ours before a restart: it is left to its lease", registered["job"]["job_id"])
        while not self._stopping:
            answer = self._call("claim", {})
            if answer["shutdown"]:
                log.info("the orchestrator asks this worker to leave")
                return 0
            if answer["job"] is None:
                time.sleep(CLAIM_SECONDS)
                continue
            job = answer["job"]
            config = json.loads(answer["config"] or "{}")
            lease = Lease(job["job_id"], job["attempt"], config, job["gpu_count"], answer.get("hub_token") or "")
            if self._run(lease):
                return 0
        return 0

    def _run(self, lease: Lease) -> bool:
        """Run one leased job to its end; True when the worker should leave afterwards."""
        run_dir = self._workspace / "private" / "worker-runs" / f"{lease.job_id}-{lease.attempt}"
        devices = self._devices(lease.gpu_count)
        configs = str(self._workspace / "configs")
        spec = RunSpec(lease.job_id, lease.config, str(self._workspace), configs, "", "worker", max(1, len(devices)))
        spec.write(run_dir)
        process = self._spawn(run_dir, devices, lease.hub_token)
        events = EventsFile(run_dir / EVENTS_FILE)
        ending: tuple[str, str] | None = None
        log.info("running job %s (attempt %d, pid %d)", lease.job_id, lease.attempt, process.pid)
        while True:
            exited = process.poll() is not None
            batch = events.read_new()
            ending = _ending(batch) or ending
            relay = {"attempt": lease.attempt, "events": [_json(event) for event in batch]}
            relayed = self._call(f"job/{lease.job_id}/events", relay)
            if relayed["abandon"]:  # the lease is gone: another attempt may already run this job
                log.warning("job %s: lease lost, stopping the run", lease.job_id)
                _kill(process)
                return False
            if exited:
                break
            time.sleep(RELAY_SECONDS)
        status, message = ending or ("failed", exit_reason(process.returncode))
        reply = self._call(
            f"job/{lease.job_id}/status", {"status": status, "attempt": lease.attempt, "message": message}
        )
        log.info("job %s %s", lease.job_id, status)
        return bool(reply["shutdown"])

    def _devices(self, gpu_count: int) -> list[int]:
        """As many of this machine's GPUs as the job asks for (none on a CPU worker)."""
        return [gpu.index for gpu in self._inventory.gpus[: max(1, gpu_count)]]

    def _spawn(self, run_dir: Path, devices: list[int], hub_token: str) -> subprocess.Popen[bytes]:
        env = run_environment(devices if self._inventory.gpus else None, hub_token)
        with (run_dir / OUTPUT_FILE).open("ab") as output:
            return subprocess.Popen(
                [sys.executable, "-m", "simpletuner.services.trainer.run_process", str(run_dir)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One call to the orchestrator, retried while it is unreachable (a restart, a network blip)."""
        while True:
            try:
                reply = self._http.post(f"/api/workers/{path}", json=body)
            except httpx.TransportError as exc:
                log.warning("orchestrator unreachable (%s); retrying", exc)
                time.sleep(CLAIM_SECONDS)
                continue
            if reply.status_code >= 500:
                time.sleep(CLAIM_SECONDS)
                continue
            if reply.status_code >= 400:
                raise OrchestratorError(f"{reply.status_code}: {reply.text}")
            return dict(reply.json())


def _ending(events: list[ev.Event]) -> tuple[str, str] | None:
    for event in reversed(events):
        if event.WhichOneof("payload") == "training_status_changed" and event.training_status_changed.status in ENDINGS:
            change = event.training_status_changed
            return ENDINGS[change.status], change.message
    return None


def _json(event: ev.Event) -> str:
    return json_format.MessageToJson(event, indent=None)


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="simpletuner worker", description=__doc__.splitlines()[0])
    parser.add_argument("--orchestrator", required=True, help="the orchestrator's URL, e.g. https://tuner.example:8001")
    parser.add_argument(
        "--token", default=os.environ.get("SIMPLETUNER_WORKER_TOKEN", ""), help="the worker's wt_ token"
    )
    parser.add_argument("--labels", action="append", default=[], metavar="KEY=VALUE", help="a label (repeatable)")
    parser.add_argument(
        "--gpus", default=os.environ.get("SIMPLETUNER_TRAINER_GPUS", ""), help="declare GPUs (4xA100:40)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s simpletuner worker %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per relay would bury the job's own lines
    if not args.token:
        print("simpletuner worker: --token is required (POST /api/admin/workers makes one)", file=sys.stderr)
        return 2
    labels = dict(label.split("=", 1) for label in args.labels if "=" in label)
    if len(labels) != len(args.labels):
        print("simpletuner worker: write each --labels as KEY=VALUE", file=sys.stderr)
        return 2
    agent = WorkerAgent(args.orchestrator, args.token, labels, StackSettings().workspace, args.gpus)
    try:
        return agent.run()
    except OrchestratorError as exc:
        print(f"simpletuner worker: the orchestrator refused: {exc}", file=sys.stderr)
        return 1
