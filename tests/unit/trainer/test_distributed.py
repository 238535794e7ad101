"""Several processes on the CPU (gloo): ranks agree on requests, DeepSpeed ZeRO trains, checkpoints and resumes
exactly, FSDP2 plugins follow the catalogue, and `accelerate launch` starts a run from an accelerate config.

Multi-process cases run this file under torchrun (see `main` at the bottom), one subprocess per run."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs import options
from simpletuner.libs.testing.training import tiny_run_config
from simpletuner.services.trainer.engine import cli, distributed
from simpletuner.services.trainer.engine.controls import Controls
from simpletuner.services.trainer.engine.run_config import ConfigError, RunConfig

HAS_DEEPSPEED = importlib.util.find_spec("deepspeed") is not None
needs_deepspeed = pytest.mark.skipif(
    not HAS_DEEPSPEED, reason="deepspeed is not installed (pip install 'simpletuner[deepspeed]')"
)
WEIGHTS = Path("pipeline") / "unet" / "diffusion_pytorch_model.safetensors"
FORCE_FSDP = "TEST_FORCE_FSDP_ON_CPU"  # read by this file's torchrun side only


def resolved(workspace: Path, **overrides: Any) -> RunConfig:
    """Catalogue defaults with overrides, unchecked (plugin tests need no dataset)."""
    defaults = {option.name: option.default for option in options.CATALOGUE}
    return RunConfig(defaults | overrides, workspace)


# the plugins, built in this process (no process group: accelerate only reads them)


def test_deepspeed_plugin_takes_the_stage_batch_and_clipping_and_leaves_accumulation_to_the_loop(
    tmp_path: Path,
) -> None:
    plugin = distributed.deepspeed_plugin(
        resolved(tmp_path, deepspeed_stage="2", train_batch_size=3, max_grad_norm=0.5, gradient_accumulation_steps=4)
    )
    config = plugin.deepspeed_config
    assert plugin.zero_stage == 2 and config["zero_optimization"]["stage"] == 2
    assert config["train_micro_batch_size_per_gpu"] == 3
    assert config["gradient_accumulation_steps"] == 1  # the loop divides the loss itself
    assert config["gradient_clipping"] == 0.5
    assert config["zero_optimization"]["offload_optimizer"]["device"] == "none"


def test_a_deepspeed_json_replaces_the_generated_config_but_the_run_keeps_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "ds.json"
    path.write_text(
        json.dumps(
            {
                "zero_optimization": {"stage": 1, "reduce_bucket_size": 1000},
                "train_micro_batch_size_per_gpu": 64,
                "gradient_accumulation_steps": 8,
                "gradient_clipping": 0.25,
            }
        )
    )
    plugin = distributed.deepspeed_plugin(
        resolved(tmp_path, deepspeed_stage="2", deepspeed_config=str(path), train_batch_size=2)
    )
    config = plugin.deepspeed_config
    assert plugin.zero_stage == 1 and config["zero_optimization"]["reduce_bucket_size"] == 1000
    assert config["train_micro_batch_size_per_gpu"] == 2 and config["gradient_accumulation_steps"] == 1
    assert config["gradient_clipping"] == 0.25  # the file's own value wins over max_grad_norm


def test_the_fsdp2_plugin_follows_the_catalogue(tmp_path: Path) -> None:
    from torch.distributed.fsdp import StateDictType
    from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy

    plugin = distributed.fsdp_plugin(
        resolved(
            tmp_path,
            fsdp_enable=True,
            fsdp_reshard_after_forward=False,
            fsdp_state_dict_type="FULL_STATE_DICT",
            fsdp_transformer_layer_cls_to_wrap="BasicTransformerBlock, ResnetBlock2D",
        )
    )
    assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is False
    assert plugin.state_dict_type == StateDictType.FULL_STATE_DICT
    assert plugin.auto_wrap_policy is transformer_auto_wrap_policy
    assert plugin.transformer_cls_names_to_wrap == ["BasicTransformerBlock", "ResnetBlock2D"]
    assert distributed.fsdp_plugin(resolved(tmp_path, fsdp_auto_wrap_policy="NO_WRAP")).auto_wrap_policy is None


def test_which_engine_shards_follows_the_options(tmp_path: Path) -> None:
    assert distributed.backend(resolved(tmp_path)) == distributed.DDP
    assert distributed.backend(resolved(tmp_path, deepspeed_stage="1")) == distributed.DEEPSPEED
    assert distributed.backend(resolved(tmp_path, deepspeed_config="ds.json")) == distributed.DEEPSPEED
    assert distributed.backend(resolved(tmp_path, fsdp_enable=True)) == distributed.FSDP


def test_deepspeed_without_the_extra_is_refused_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "deepspeed" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'simpletuner\[deepspeed\]'"):
        distributed.build_accelerator(resolved(tmp_path, model_type="full", deepspeed_stage="2"), "no")


@pytest.mark.parametrize(
    ("variable", "asked"), [("ACCELERATE_USE_DEEPSPEED", "DeepSpeed"), ("ACCELERATE_USE_FSDP", "FSDP")]
)
def test_an_accelerate_launch_that_shards_differently_from_the_options_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, asked: str
) -> None:
    monkeypatch.setenv(variable, "true")
    with pytest.raises(ConfigError, match=f"accelerate launch asked for {asked}"):
        distributed.build_accelerator(resolved(tmp_path), "no")


def test_the_launcher_is_torchrun_or_accelerate_launch_with_the_accelerate_config(tmp_path: Path) -> None:
    argv = ["--config", "c.json", "--num-processes", "2", "--seed", "3"]
    plain = cli.launch_command(argv, 2, "job", None)
    assert plain[1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    launched = cli.launch_command(argv, 2, "job", tmp_path / "accelerate.yaml")
    assert launched[1:6] == [
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(tmp_path / "accelerate.yaml"),
        "--num_processes",
    ]
    for command in (plain, launched):
        assert "--num-processes" not in command
        assert command[-6:] == ["--config", "c.json", "--seed", "3", "--job-id", "job"]


# several processes


def torchrun(
    workspace: Path, processes: int, *args: str, timeout: int = 420, force_fsdp: bool = False
) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SIMPLETUNER_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env |= {FORCE_FSDP: "1"} if force_fsdp else {}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    command += [__file__, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def losses(events: Path) -> dict[int, float]:
    found = {}
    for line in events.read_text().splitlines():
        progress = json.loads(line).get("training_progress")
        if progress:
            found[int(progress["step"])] = progress["loss"]
    return found


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny SD 1.x built once here: two ranks building it at the same time would race."""
    from simpletuner.services.trainer.engine import tiny_models

    folder = tmp_path_factory.mktemp("workspace")
    tiny_models.build("sd1x", folder / "models" / "tiny-sd1x")
    return folder


def write_config(workspace: Path, name: str, **overrides: Any) -> Path:
    path = workspace / f"{name}.json"
    path.write_text(json.dumps(tiny_run_config(workspace, name=name, **overrides)))
    return path


def test_two_ranks_agree_on_requests_that_reached_only_one_of_them(workspace: Path) -> None:
    done = torchrun(workspace, 2, "agree", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("agreed stop=True validate=True checkpoint=False") == 2


def test_a_stop_seen_by_one_rank_stops_both_at_the_same_step_with_one_checkpoint(workspace: Path) -> None:
    config = write_config(workspace, "stop-one", max_train_steps=6)
    events = workspace / "stop-one.jsonl"
    done = torchrun(workspace, 2, "train", str(config), str(events), "stop-rank:1:2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(losses(events)) == [1, 2]
    statuses = [json.loads(line) for line in events.read_text().splitlines() if "training_status_changed" in line]
    assert statuses[-1]["training_status_changed"]["status"] == "TRAINING_STATUS_STOPPED"
    output = workspace / "output" / "stop-one"
    assert [p.name for p in output.glob("checkpoint-*")] == ["checkpoint-2"]


def kill_and_resume(workspace: Path, name: str, force_fsdp: bool = False, **common: Any) -> Path:
    """Train `name`-straight for 4 steps, and `name`-split killed after checkpoint-2 then resumed: the losses and
    the final weights must be the same. Returns the checkpoint the resumed run started from."""
    from safetensors.torch import load_file

    common |= {"model_type": "full", "max_train_steps": 4, "checkpointing_steps": 2}
    straight, killed, resumed = (workspace / f"{name}-{run}.jsonl" for run in ("straight", "killed", "resumed"))
    config = write_config(workspace, f"{name}-straight", **common)
    done = torchrun(workspace, 2, "train", str(config), str(straight), force_fsdp=force_fsdp)
    assert done.returncode == 0, done.stderr[-3000:]
    split = write_config(workspace, f"{name}-split", **common)
    done = torchrun(workspace, 2, "train", str(split), str(killed), "kill-after:2", force_fsdp=force_fsdp)
    assert done.returncode != 0  # both ranks were killed right after checkpoint-2
    output = workspace / "output" / f"{name}-split"
    assert (output / "checkpoint-2" / "manifest.json").is_file() and not (output / "pipeline").exists()
    split.write_text(json.dumps(json.loads(split.read_text()) | {"resume_from_checkpoint": "latest"}))
    done = torchrun(workspace, 2, "train", str(split), str(resumed), force_fsdp=force_fsdp)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(losses(resumed)) == [3, 4]
    assert {k: v for k, v in losses(killed).items() if k <= 2} | losses(resumed) == losses(straight)
    final_a = load_file(str(workspace / "output" / f"{name}-straight" / WEIGHTS))
    final_b = load_file(str(output / WEIGHTS))
    assert final_a.keys() == final_b.keys() and all(final_a[k].equal(final_b[k]) for k in final_a)
    return output / "checkpoint-2"


@needs_deepspeed
def test_zero2_on_two_processes_resumes_a_killed_run_exactly(workspace: Path) -> None:
    checkpoint = kill_and_resume(workspace, "zero2", deepspeed_stage="2")
    assert sorted(p.name for p in (checkpoint / "pytorch_model").glob("zero_pp_rank_*_optim_states.pt")) == [
        "zero_pp_rank_0_mp_rank_00_optim_states.pt",  # each rank's optimizer partition
        "zero_pp_rank_1_mp_rank_00_optim_states.pt",
    ]
    assert not (checkpoint / "trainable.safetensors").exists()  # the engine's checkpoint holds the weights


def test_fsdp2_on_two_processes_resumes_a_killed_run_exactly(workspace: Path) -> None:
    """accelerate runs FSDP on GPUs only; torch's FSDP2 itself works over gloo, so this test switches accelerate's
    state to FSDP after construction (see `force_fsdp`) to run the engine's FSDP path on the CPU."""
    checkpoint = kill_and_resume(workspace, "fsdp2", force_fsdp=True, fsdp_enable=True)
    for folder in ("pytorch_model_fsdp_0", "optimizer_0"):  # sharded: one file per rank
        assert sorted(p.name for p in (checkpoint / folder).glob("*.distcp")) == ["__0_0.distcp", "__1_0.distcp"]


@needs_deepspeed
def test_zero1_in_one_process_trains_in_bf16_with_accumulation_and_ema(workspace: Path) -> None:
    """No launcher: the lone process becomes a world of one, as DeepSpeed needs; bf16 inputs follow the weights."""
    values = {"deepspeed_stage": "1", "mixed_precision": "bf16", "gradient_accumulation_steps": 2, "use_ema": True}
    config = write_config(workspace, "zero1", model_type="full", max_train_steps=2, checkpointing_steps=1, **values)
    env = os.environ | {"SIMPLETUNER_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "simpletuner.libs.cli.main", "train", "--config", str(config)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    output = workspace / "output" / "zero1"
    assert sorted(losses(output / "events.jsonl")) == [1, 2]
    assert (output / "checkpoint-1" / "pytorch_model" / "mp_rank_00_model_states.pt").is_file()
    assert (output / WEIGHTS).is_file()


def test_fsdp_on_the_cpu_stops_with_a_clear_error_instead_of_training_unsharded(workspace: Path) -> None:
    config = write_config(workspace, "fsdp-cpu", model_type="full", fsdp_enable=True, max_train_steps=1)
    events = workspace / "fsdp-cpu.jsonl"
    done = torchrun(workspace, 1, "train", str(config), str(events), timeout=240)
    assert done.returncode != 0  # the worker exits 2; torchrun reports any failed worker as 1
    assert "accelerate shards with FSDP on GPUs only" in done.stderr and "fsdp_enable" in done.stderr


def test_accelerate_launch_starts_two_processes_from_the_accelerate_config(workspace: Path) -> None:
    with socket.socket() as probe:  # a free rendezvous port: other runs may share this machine
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    accelerate_config = workspace / "accelerate.yaml"
    accelerate_config.write_text(
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_machines: 1\nnum_processes: 2\n"
        f"machine_rank: 0\nmain_process_port: {port}\nmixed_precision: 'no'\nuse_cpu: false\n"
        "rdzv_backend: static\nsame_network: true\n"
    )
    config = write_config(
        workspace, "launched", max_train_steps=2, checkpointing_steps=1, accelerate_config=str(accelerate_config)
    )
    env = os.environ | {"SIMPLETUNER_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "simpletuner.libs.cli.main", "train", "--config", str(config)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    output = workspace / "output" / "launched"
    assert sorted(losses(output / "events.jsonl")) == [1, 2]
    assert (output / "pytorch_lora_weights.safetensors").is_file()
    states = sorted(path.name for path in (output / "checkpoint-1").glob("random_states_*.pkl"))
    assert states == ["random_states_0.pkl", "random_states_1.pkl"]  # two processes took part


# the torchrun side: one run per subprocess, so accelerate's process-wide state never leaks between tests


class Requests(Controls):
    """kill-after:N exits every rank at once after checkpoint-N is sealed (like a SIGKILL: nothing else runs);
    stop-rank:R:S asks rank R alone to stop at step S."""

    def __init__(self, mode: str, rank: int, output: Path) -> None:
        super().__init__()
        self.mode, self.rank, self.output, self.steps = mode, rank, output, 0

    def poll(self) -> None:
        self.steps += 1
        kind, _, arguments = self.mode.partition(":")
        if kind == "kill-after" and (self.output / f"checkpoint-{arguments}" / "manifest.json").is_file():
            os._exit(137)
        if kind == "stop-rank":
            rank, step = (int(part) for part in arguments.split(":"))
            self.stop = self.stop or (self.rank == rank and self.steps == step)


def force_fsdp() -> None:
    """Test only: where accelerate fell back to plain data parallel on the CPU, switch its state to FSDP2 with the
    run's plugin, so `prepare`, `save_state` and `load_state` take their FSDP2 paths over gloo."""
    from accelerate.state import PartialState
    from accelerate.utils import DistributedType

    plugins: list[Any] = []
    build_plugin, require = distributed.fsdp_plugin, distributed.require

    def keep_plugin(config: RunConfig) -> Any:
        plugins.append(build_plugin(config))
        return plugins[-1]

    def switch_to_fsdp(accelerator: Any, kind: str) -> None:
        if kind != distributed.FSDP:
            return require(accelerator, kind)
        accelerator.state.distributed_type = DistributedType.FSDP
        accelerator.state.fsdp_plugin = plugins[-1]
        PartialState._shared_state["distributed_type"] = DistributedType.FSDP  # later AcceleratorState() copy it
        return None

    distributed.fsdp_plugin, distributed.require = keep_plugin, switch_to_fsdp


def run_training(config_path: str, events_path: str, mode: str) -> int:
    from simpletuner.services.trainer.engine.events import EventSink, JsonLinesSink, RunEvents
    from simpletuner.services.trainer.engine.trainer import Trainer

    if os.environ.get(FORCE_FSDP):
        force_fsdp()
    workspace = Path(os.environ["SIMPLETUNER_WORKSPACE"])
    rank = int(os.environ["RANK"])
    try:
        config = RunConfig.load(json.loads(Path(config_path).read_text()), workspace, workspace / "configs", "dist")
        sinks: list[EventSink] = [JsonLinesSink(Path(events_path))] if rank == 0 else []
        Trainer(config, RunEvents("dist", sinks), Requests(mode, rank, config.output_dir)).run()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def check_agreement() -> int:
    import torch

    torch.distributed.init_process_group("gloo")
    rank = torch.distributed.get_rank()
    controls = Controls(stop=rank == 1, validate=rank == 0)  # each request reached one rank only
    distributed.agree(controls, torch.device("cpu"))
    print(f"agreed stop={controls.stop} validate={controls.validate} checkpoint={controls.checkpoint}", flush=True)
    torch.distributed.destroy_process_group()
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "agree":
        return check_agreement()
    return run_training(argv[1], argv[2], argv[3] if len(argv) > 3 else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
