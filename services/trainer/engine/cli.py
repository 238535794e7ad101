"""`simpletuner train`: one training run in the foreground, with progress bars and a clear error per bad option.

simpletuner train --env my-env [--learning_rate 5e-5 ...]
simpletuner train --config path/to/config.json [--opt value ...]
simpletuner train --example tiny-demo
simpletuner train --env my-env --num-processes 2      (one process per GPU: data parallel, or DeepSpeed ZeRO
                                                      or FSDP2 as the config's options ask)
simpletuner train --env my-env --accelerate_config accelerate.yaml   (started by `accelerate launch`)
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs import jsontext, options
from simpletuner.libs.examples import TEMPLATES_DIR
from simpletuner.libs.examples.demo_dataset import write_demo_dataset
from simpletuner.libs.settings import StackSettings

from .run_config import ConfigError, RunConfig

CONFIG_FILE = "config.json"
DEFAULT_ENVIRONMENT = "default"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simpletuner train",
        description="Train in the foreground. Any catalogue option can be given as --name value "
        "(see docs/OPTIONS.md); it overrides the environment's config.json.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--env", help="environment under <workspace>/configs to train")
    source.add_argument("--config", type=Path, help="a config.json to train (keys with or without --)")
    source.add_argument("--example", help="an example (e.g. tiny-demo), copied to an environment of that name first")
    parser.add_argument(
        "--use-environment-defaults", action="store_true", help="layer the default environment's values underneath"
    )
    parser.add_argument("--job-id", default="", help="name of this run in its events (default: a random id)")
    parser.add_argument(
        "--num-processes", type=int, default=1, help="data-parallel processes (one per GPU), started with torchrun"
    )
    return parser


def split_overrides(extra: list[str]) -> dict[str, str]:
    """`--name value` and `--name=value` pairs; a flag alone means true. Unknown names fail with suggestions."""
    overrides: dict[str, str] = {}
    index = 0
    while index < len(extra):
        token = extra[index]
        if not token.startswith("--"):
            raise ConfigError([("", f"unexpected argument {token!r}; options look like --name value")])
        name, has_value, value = token[2:].partition("=")
        if not has_value:
            following = extra[index + 1] if index + 1 < len(extra) else None
            if following is None or following.startswith("--"):
                value = "true"
            else:
                value, index = following, index + 1
        if options.find(name) is None:
            close = difflib.get_close_matches(name, options.BY_NAME, n=3)
            hint = f"; did you mean {', '.join('--' + c for c in close)}?" if close else "; see docs/OPTIONS.md"
            raise ConfigError([(name, f"is not an option{hint}")])
        overrides[name] = value
        index += 1
    return overrides


def read_config(path: Path) -> dict[str, Any]:
    try:
        loaded = jsontext.loads(path.read_text())
    except OSError as exc:
        raise ConfigError([("config", f"cannot read {path}: {exc.strerror}")]) from None
    except ValueError as exc:
        raise ConfigError([("config", f"{path} is not valid JSON: {exc}")]) from None
    if not isinstance(loaded, dict):
        raise ConfigError([("config", f"{path} must hold a JSON object of options")])
    return {options.bare(key): value for key, value in loaded.items()}


def install_example(name: str, configs_dir: Path, workspace: Path) -> None:
    """Copy an example into configs_dir/<name> (kept if there) and draw a self-contained example's dataset."""
    template = TEMPLATES_DIR / name
    if not (template / "example.json").is_file():
        known = sorted(p.name for p in TEMPLATES_DIR.iterdir() if (p / "example.json").is_file())
        raise ConfigError([("example", f"no example {name}; choose one of {', '.join(known)}")])
    target = configs_dir / name
    if not target.exists():
        shutil.copytree(template, target, ignore=shutil.ignore_patterns("example.json"))
    if json.loads((template / "example.json").read_text()).get("self_contained"):
        for entry in json.loads((target / "multidatabackend.json").read_text()):
            if entry.get("dataset_type", "image") == "image":
                folder = Path(entry["instance_data_dir"])
                write_demo_dataset(folder if folder.is_absolute() else workspace / folder)


def raw_config(args: argparse.Namespace, configs_dir: Path) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    if args.use_environment_defaults and (configs_dir / DEFAULT_ENVIRONMENT / CONFIG_FILE).is_file():
        layers.append(read_config(configs_dir / DEFAULT_ENVIRONMENT / CONFIG_FILE))
    environment = args.env or args.example
    if environment:
        path = configs_dir / environment / CONFIG_FILE
        if not path.is_file():
            known = sorted(p.parent.name for p in configs_dir.glob(f"*/{CONFIG_FILE}"))
            raise ConfigError(
                [("env", f"no environment {environment} in {configs_dir}; known: {', '.join(known) or 'none'}")]
            )
        layers.append(read_config(path))
    if args.config:
        layers.append(read_config(args.config))
    merged: dict[str, Any] = {}
    for layer in layers:
        merged |= layer
    return merged


class ConsoleSink:
    """Prints lifecycle stages, warnings and the final status (progress goes to the bars)."""

    def write(self, event: ev.Event) -> None:
        kind = event.WhichOneof("payload")
        if kind == "training_stage_changed" and event.training_stage_changed.status != ev.STAGE_STATUS_RUNNING:
            stage = event.training_stage_changed
            print(f"[{ev.StageStatus.Name(stage.status).removeprefix('STAGE_STATUS_').lower()}] {stage.label}")
        elif kind == "training_log" and event.training_log.severity >= ev.LOG_SEVERITY_WARNING:
            print(f"warning: {event.training_log.message}", file=sys.stderr)
        elif kind == "training_status_changed":
            change = event.training_status_changed
            status = ev.TrainingStatus.Name(change.status).removeprefix("TRAINING_STATUS_").lower()
            print(f"status: {status}" + (f" ({change.message})" if change.message else ""))
        elif kind == "training_checkpoint_saved":
            print(f"saved {event.training_checkpoint_saved.path}")

    def close(self) -> None:
        return None


def progress_bars() -> Callable[[str, int], Callable[[int, int], None]]:
    def open_bar(label: str, total: int) -> Callable[[int, int], None]:
        bar = tqdm(total=total or None, desc=label, unit="it", leave=False, dynamic_ncols=True)

        def update(current: int, new_total: int) -> None:
            if new_total and bar.total != new_total:
                bar.total = new_total
            bar.update(current - bar.n)
            if new_total and current >= new_total:
                bar.close()

        return update

    return open_bar


def launch_command(argv: list[str], count: int, job_id: str, accelerate_config: Path | None) -> list[str]:
    """This command again, `count` times under torchrun, or under `accelerate launch` with an accelerate config
    (its processes and machines; `--num-processes` overrides its process count)."""
    rest = [arg for index, arg in enumerate(argv) if arg != "--num-processes" and argv[index - 1] != "--num-processes"]
    rest = [arg for arg in rest if not arg.startswith("--num-processes=")]
    if accelerate_config is None:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={count}"]
    else:
        command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(accelerate_config)]
        command += ["--num_processes", str(count)] if count > 1 else []
    return [*command, "-m", "simpletuner.services.trainer.engine.cli", *rest, "--job-id", job_id]


def launch_processes(argv: list[str], count: int, job_id: str, accelerate_config: Path | None = None) -> int:
    """Start the processes (each one an accelerate process) and wait for them."""
    return subprocess.call(launch_command(argv, count, job_id, accelerate_config))


def accelerate_config_file(raw: dict[str, Any], workspace: Path) -> Path | None:
    """The accelerate_config option as a file (relative paths from the workspace); None when unset."""
    value = str(raw.get("accelerate_config") or "")
    if not value:
        return None
    path = Path(value).expanduser()
    path = path if path.is_absolute() else workspace / path
    if not path.is_file():
        hint = "write one with `accelerate config --config_file PATH`, or leave it empty"
        raise ConfigError([("accelerate_config", f"{path} not found; {hint}")])
    return path


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def main(argv: list[str]) -> int:
    # the libraries' own chatter and bars would bury ours
    for variable, value in (
        ("HF_HUB_DISABLE_TELEMETRY", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("DIFFUSERS_VERBOSITY", "error"),
    ):
        os.environ.setdefault(variable, value)
    args, extra = build_parser().parse_known_args(argv)
    workspace = StackSettings().workspace
    configs_dir = workspace / "configs"
    job_id = args.job_id or uuid.uuid4().hex[:12]
    try:
        if args.example and is_main_process():
            install_example(args.example, configs_dir, workspace)
        raw = raw_config(args, configs_dir) | split_overrides(extra)
        launcher_config = accelerate_config_file(raw, workspace)
        if "RANK" not in os.environ and (args.num_processes > 1 or launcher_config is not None):
            return launch_processes(argv, args.num_processes, job_id, launcher_config)
        config = RunConfig.load(raw, workspace, configs_dir, job_id=job_id)
    except ConfigError as exc:
        print("simpletuner train: the config cannot train:", file=sys.stderr)
        for field, message in exc.problems:
            print(f"  --{field}: {message}" if field else f"  {message}", file=sys.stderr)
        return 2
    return run(config)


def run(config: RunConfig) -> int:
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    from .events import EventSink, JsonLinesSink, RunEvents
    from .trainer import Trainer

    diffusers_logging.disable_progress_bar()  # pipeline loading bars; the run shows its own
    transformers_logging.disable_progress_bar()

    main_process = is_main_process()  # the other processes of a multi-process run report nothing
    config.output_dir.mkdir(parents=True, exist_ok=True)
    sinks: list[EventSink] = []
    if main_process:
        (config.output_dir / "resolved_config.json").write_text(json.dumps(config.as_dict(), indent=2, default=str))
        sinks = [JsonLinesSink(config.output_dir / "events.jsonl"), ConsoleSink()]
    events = RunEvents(config.job_id, sinks)
    from .controls import Controls

    controls = Controls()
    controls.stop_on_signals()
    try:
        result = Trainer(config, events, controls, progress_bars() if main_process else None).run()
    except ConfigError as exc:
        print(f"simpletuner train: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the event log has the failure; the console gets one clear line
        print(f"simpletuner train: training failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        events.close()
    return 0 if result.status in (ev.TRAINING_STATUS_COMPLETED, ev.TRAINING_STATUS_STOPPED) else 1


if __name__ == "__main__":  # each process started by launch_processes
    sys.exit(main(sys.argv[1:]))
