"""The training process the trainer service spawns: `python -m simpletuner.services.trainer.run_process RUN_DIR`.

RUN_DIR/run.json says what to train. Events go to RUN_DIR/events.jsonl (flushed per line) and to the bus.
Signals steer it: SIGTERM stops gracefully (finish the step, save), SIGUSR1 validates and SIGUSR2 saves a
checkpoint after the next gradient sync. Signals work even while the bus is down.

A run on several GPUs is one process per GPU (data parallel through accelerate, ranks meeting through torch's
env:// rendezvous) under this process as their leader. The ranks share its process group, so each signal
reaches every rank, and the ranks agree on what to do at the same step; only rank 0 reports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from simpletuner.libs.net import free_port
from simpletuner.services.trainer.engine.controls import Controls
from simpletuner.services.trainer.engine.run_config import HUB_TOKEN_VARIABLE

EVENTS_FILE = "events.jsonl"
SPEC_FILE = "run.json"
OUTPUT_FILE = "output.log"
VALIDATE_SIGNAL = signal.SIGUSR1
CHECKPOINT_SIGNAL = signal.SIGUSR2


@dataclass(frozen=True)
class RunSpec:
    """Everything a training process needs, written by the trainer service before it spawns one."""

    job_id: str
    config: dict[str, object]
    workspace: str
    configs_dir: str
    nats_url: str
    source: str
    processes: int = 1  # one per GPU the scheduler allocated

    def write(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        partial = run_dir / f".{SPEC_FILE}.partial"
        partial.write_text(json.dumps(asdict(self), indent=2, default=str))
        partial.replace(run_dir / SPEC_FILE)

    @classmethod
    def read(cls, run_dir: Path) -> RunSpec:
        return cls(**json.loads((run_dir / SPEC_FILE).read_text()))


def run_environment(devices: Sequence[int] | None, hub_token: str = "") -> dict[str, str]:
    """What a run process starts with: this environment, only its own GPUs (None: leave them as they are), and its
    owner's Hub token — never one the starting service happens to have."""
    env = dict(os.environ)
    if devices is not None:  # two runs never share a GPU by accident
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(index) for index in devices)
    env.pop(HUB_TOKEN_VARIABLE, None)
    if hub_token:
        env[HUB_TOKEN_VARIABLE] = hub_token
    return env


def main(run_dir: Path) -> int:
    spec = RunSpec.read(run_dir)
    for variable, value in (
        ("HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "1")),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("DIFFUSERS_VERBOSITY", "error"),
    ):
        os.environ.setdefault(variable, value)
    if spec.config.get("push_to_hub"):
        os.environ["HF_HUB_OFFLINE"] = "0"  # offline mode refuses every Hub request, uploads included
    if spec.processes > 1 and "RANK" not in os.environ:
        return lead_ranks(run_dir, spec.processes)
    main_rank = int(os.environ.get("RANK", "0")) == 0
    # imported here: the engine costs seconds to import and the service never loads it
    from simpletuner.api.events.v1 import events_pb2 as ev
    from simpletuner.services.trainer.engine.cli import ConsoleSink
    from simpletuner.services.trainer.engine.events import EventSink, JsonLinesSink, RunEvents
    from simpletuner.services.trainer.engine.run_config import ConfigError, RunConfig
    from simpletuner.services.trainer.engine.trainer import Trainer
    from simpletuner.services.trainer.publisher import BusPublisher

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # the log tail survives a kill -9
    # the console lines (stages, warnings, checkpoints, status) make the output log a readable tail
    sinks: list[EventSink] = [JsonLinesSink(run_dir / EVENTS_FILE), ConsoleSink()] if main_rank else []
    if spec.nats_url and main_rank:  # a remote worker's run has no bus: its agent relays the events file
        sinks.insert(1, BusPublisher(spec.nats_url, spec.source))
    events = RunEvents(spec.job_id, sinks, source=spec.source)
    controls = steerable_controls(Controls())
    try:
        config = RunConfig.load(spec.config, Path(spec.workspace), Path(spec.configs_dir), job_id=spec.job_id)
        result = Trainer(config, events, controls).run()
    except ConfigError as exc:
        events.status(ev.TRAINING_STATUS_FAILED, f"the config cannot train: {exc}")
        return 2
    except BaseException:
        traceback.print_exc()  # the failed status event is already out; the log keeps the traceback
        return 1
    finally:
        events.close()
    return 0 if result.status in (ev.TRAINING_STATUS_COMPLETED, ev.TRAINING_STATUS_STOPPED) else 1


def lead_ranks(run_dir: Path, count: int) -> int:
    """Start `count` ranks and wait for them; one that fails takes the others down (they would hang in a
    collective). Not torchrun: its agent dies on the SIGUSR1/SIGUSR2 that steer a run."""

    def leave_it_to_the_ranks(signum: int, frame: object) -> None:
        pass  # they got the same signal from the process group; a handler (unlike SIG_IGN) is not inherited

    for sig in (signal.SIGTERM, signal.SIGINT, VALIDATE_SIGNAL, CHECKPOINT_SIGNAL):
        signal.signal(sig, leave_it_to_the_ranks)
    rendezvous = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": str(count)}
    ranks = [
        subprocess.Popen(
            [sys.executable, "-m", "simpletuner.services.trainer.run_process", str(run_dir)],
            env=os.environ | rendezvous | {"RANK": str(rank), "LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": str(count)},
        )
        for rank in range(count)
    ]
    while True:
        codes = [rank.poll() for rank in ranks]
        failed = [code for code in codes if code not in (None, 0)]
        if failed or all(code is not None for code in codes):
            break
        time.sleep(0.2)
    for rank in ranks:
        if rank.poll() is None:
            rank.kill()
        rank.wait()
    return ranks[0].returncode if not failed else failed[0]


def steerable_controls(controls: Controls) -> Controls:
    """SIGTERM/SIGINT stop, SIGUSR1 validates, SIGUSR2 checkpoints (each honoured after the next sync)."""
    controls.stop_on_signals()

    def validate(signum: int, frame: object) -> None:
        controls.validate = True

    def checkpoint(signum: int, frame: object) -> None:
        controls.checkpoint = True

    signal.signal(VALIDATE_SIGNAL, validate)
    signal.signal(CHECKPOINT_SIGNAL, checkpoint)
    return controls


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
