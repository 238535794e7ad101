"""The training engine end to end on tiny models: every family trains, saves, loads back and generates; runs
resume exactly; LyCORIS and full fine-tunes work; the CLI runs in the foreground."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.testing.training import tiny_run_config
from simpletuner.services.trainer.engine.events import RunEvents
from simpletuner.services.trainer.engine.run_config import RunConfig
from simpletuner.services.trainer.engine.trainer import RunResult, Trainer


class Collected:
    """An event sink that keeps every event (and can crash the run at a chosen event, like a kill would)."""

    def __init__(self, crash_after_checkpoint: int | None = None) -> None:
        self.events: list[ev.Event] = []
        self.crash_after_checkpoint = crash_after_checkpoint

    def write(self, event: ev.Event) -> None:
        self.events.append(event)
        saved = event.training_checkpoint_saved
        if event.HasField("training_checkpoint_saved") and saved.step == self.crash_after_checkpoint:
            raise KeyboardInterrupt("simulated kill right after the checkpoint")

    def close(self) -> None:
        return None

    def losses(self) -> dict[int, float]:
        return {
            e.training_progress.step: e.training_progress.loss for e in self.events if e.HasField("training_progress")
        }

    def stages(self) -> list[str]:
        return [
            e.training_stage_changed.key
            for e in self.events
            if e.HasField("training_stage_changed") and e.training_stage_changed.status == ev.STAGE_STATUS_COMPLETED
        ]


def train(workspace: Path, raw: dict[str, Any], sink: Collected | None = None) -> tuple[RunResult, Collected]:
    sink = sink or Collected()
    config = RunConfig.load(raw, workspace, workspace / "configs", job_id="test")
    return Trainer(config, RunEvents("test", [sink])).run(), sink


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")  # one per module: tiny models are built once and reused


FAMILY_PIPELINES = {
    "sd1x": "StableDiffusionPipeline",
    "sdxl": "StableDiffusionXLPipeline",
    "sd3": "StableDiffusion3Pipeline",
    "flux": "FluxPipeline",
    "pixart_sigma": "PixArtSigmaPipeline",
    "sana": "SanaPipeline",
}


@pytest.mark.parametrize("family", list(FAMILY_PIPELINES))
def test_a_lora_trains_saves_in_diffusers_layout_and_loads_into_the_pipeline(workspace: Path, family: str) -> None:
    import diffusers

    raw = tiny_run_config(workspace, family, name=f"lora-{family}", validation_prompt="a red circle")
    result, sink = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and result.step == 4
    assert set(sink.losses()) == {1, 2, 3, 4} and all(torch.isfinite(torch.tensor(list(sink.losses().values()))))
    assert result.output is not None and result.output.name == "pytorch_lora_weights.safetensors"
    weights = load_file(str(result.output))
    prefix = "unet." if family in ("sd1x", "sdxl") else "transformer."
    assert weights and all(key.startswith(prefix) and "lora" in key for key in weights)
    for stage in ("init_load_base_model", "init_text_cache", "init_vae_cache", "model_save", "final_validation"):
        assert stage in sink.stages()
    assert any(e.HasField("validation_image") for e in sink.events)
    pipeline_class = getattr(diffusers, FAMILY_PIPELINES[family])
    pipeline = pipeline_class.from_pretrained(str(workspace / "models" / f"tiny-{family}"))
    if hasattr(pipeline, "load_lora_weights"):
        pipeline.load_lora_weights(str(result.output.parent))
    else:  # PixArt's pipeline has no LoRA loader in diffusers 0.42: load the same file through PEFT
        load_lora_with_peft(pipeline.transformer, weights, rank=4)
    extra = {"use_resolution_binning": False} if family in ("pixart_sigma", "sana") else {}
    image = pipeline("a red circle", num_inference_steps=2, height=64, width=64, output_type="pil", **extra).images[0]
    assert image.size == (64, 64)


def test_a_lora_saved_in_comfyui_layout_has_diffusion_model_keys_that_load_back(workspace: Path) -> None:
    import diffusers

    raw = tiny_run_config(workspace, "flux", name="lora-flux-comfyui", lora_format="comfyui")
    result, _ = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and result.output is not None
    weights = load_file(str(result.output))
    assert weights and all(key.startswith("diffusion_model.") and "lora" in key for key in weights)
    pipeline = diffusers.FluxPipeline.from_pretrained(str(workspace / "models" / "tiny-flux"))
    pipeline.load_lora_weights({"transformer." + k.removeprefix("diffusion_model."): v for k, v in weights.items()})
    image = pipeline("a red circle", num_inference_steps=2, height=64, width=64, output_type="pil").images[0]
    assert image.size == (64, 64)


def load_lora_with_peft(model: torch.nn.Module, weights: dict[str, torch.Tensor], rank: int) -> None:
    from diffusers.utils import convert_unet_state_dict_to_peft
    from peft import LoraConfig, inject_adapter_in_model, set_peft_model_state_dict

    state = convert_unet_state_dict_to_peft({k.removeprefix("transformer."): v for k, v in weights.items()})
    targets = sorted({key.split(".lora_")[0] for key in state})
    inject_adapter_in_model(LoraConfig(r=rank, lora_alpha=rank, target_modules=targets), model)
    result = set_peft_model_state_dict(model, state)
    assert not result.unexpected_keys, result.unexpected_keys


def test_eight_steps_equal_four_steps_a_kill_and_four_resumed_steps(workspace: Path) -> None:
    common = {"max_train_steps": 8, "checkpointing_steps": 4, "lora_dropout": 0.1, "caption_dropout_probability": 0.2}
    straight, straight_run = train(workspace, tiny_run_config(workspace, name="straight", **common))
    split = tiny_run_config(workspace, name="split", **common)
    killed = Collected(crash_after_checkpoint=4)
    with pytest.raises(KeyboardInterrupt):
        train(workspace, split, killed)
    resumed, resumed_run = train(workspace, split | {"resume_from_checkpoint": "latest"})
    assert resumed.status == ev.TRAINING_STATUS_COMPLETED and resumed.step == 8
    assert "init_resume_checkpoint" in resumed_run.stages()
    assert sorted(resumed_run.losses()) == [5, 6, 7, 8]
    assert straight.output is not None and resumed.output is not None
    final_a, final_b = load_file(str(straight.output)), load_file(str(resumed.output))
    assert final_a.keys() == final_b.keys()
    if not torch.cuda.is_available():  # bitwise: the same per-step losses and the same final weights
        assert killed.losses() | resumed_run.losses() == straight_run.losses()
        assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)
    else:  # GPU kernels (cuDNN convolution backward) are not deterministic: two straight runs differ slightly too
        assert killed.losses() | resumed_run.losses() == pytest.approx(straight_run.losses(), rel=1e-3)


@pytest.mark.parametrize("algo", ["lora", "locon", "loha", "lokr"])
def test_a_lycoris_network_trains_and_saves(workspace: Path, algo: str) -> None:
    lycoris = workspace / "configs" / f"lycoris-{algo}" / "lycoris_config.json"
    lycoris.parent.mkdir(parents=True, exist_ok=True)
    lycoris.write_text(json.dumps({"algo": algo, "multiplier": 1.0, "linear_dim": 4, "linear_alpha": 1, "factor": 4}))
    raw = tiny_run_config(workspace, name=f"lycoris-{algo}", lora_type="lycoris", lycoris_config=str(lycoris))
    result, _ = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED
    assert result.output is not None and load_file(str(result.output))


def test_a_full_fine_tune_saves_a_pipeline_that_loads(workspace: Path) -> None:
    import diffusers

    result, _ = train(workspace, tiny_run_config(workspace, name="full", model_type="full", max_train_steps=2))
    assert result.status == ev.TRAINING_STATUS_COMPLETED
    pipeline = diffusers.StableDiffusionPipeline.from_pretrained(str(result.output))
    image = pipeline("a red circle", num_inference_steps=2, height=64, width=64).images[0]
    assert image.size == (64, 64)


@pytest.mark.parametrize("optimizer", ["adamw", "adamw_bf16", "lion", "prodigy", "adafactor"])
def test_each_optimizer_takes_steps(workspace: Path, optimizer: str) -> None:
    raw = tiny_run_config(workspace, name=f"optim-{optimizer}", optimizer=optimizer, max_train_steps=2)
    raw |= {"learning_rate": 1.0} if optimizer == "prodigy" else {}
    result, sink = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and len(sink.losses()) == 2


def test_a_stop_request_finishes_the_step_saves_a_checkpoint_and_reports_stopped(workspace: Path) -> None:
    from simpletuner.services.trainer.engine.controls import Controls

    class StopAfterTwo(Controls):
        def poll(self) -> None:
            self.stop = bool(sink.losses()) and max(sink.losses()) >= 2

    sink = Collected()
    config = RunConfig.load(
        tiny_run_config(workspace, name="stop", max_train_steps=6), workspace, workspace / "configs"
    )
    result = Trainer(config, RunEvents("test", [sink]), StopAfterTwo()).run()
    assert result.status == ev.TRAINING_STATUS_STOPPED and result.step == 2
    assert result.output is not None and result.output.name == "checkpoint-2"


def test_the_cli_trains_in_the_foreground_and_writes_an_event_log(workspace: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({f"--{k}": v for k, v in tiny_run_config(workspace, name="cli").items()}))
    env = os.environ | {"SIMPLETUNER_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "simpletuner.libs.cli.main",
        "train",
        "--config",
        str(config),
        "--max_train_steps",
        "3",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status: completed" in done.stdout
    lines = [json.loads(line) for line in (workspace / "output" / "cli" / "events.jsonl").read_text().splitlines()]
    assert [e["training_progress"]["step"] for e in lines if "training_progress" in e] == ["1", "2", "3"]


def test_ema_weights_are_what_the_final_model_carries(workspace: Path) -> None:
    plain, _ = train(workspace, tiny_run_config(workspace, name="no-ema", max_train_steps=3))
    averaged, _ = train(
        workspace, tiny_run_config(workspace, name="ema", max_train_steps=3, use_ema=True, ema_decay=0.5)
    )
    assert plain.output is not None and averaged.output is not None
    a, b = load_file(str(plain.output)), load_file(str(averaged.output))
    assert a.keys() == b.keys() and any(not torch.equal(a[k], b[k]) for k in a)


def test_gradient_accumulation_takes_one_step_per_group_of_batches(workspace: Path) -> None:
    raw = tiny_run_config(workspace, name="accumulate", max_train_steps=2, gradient_accumulation_steps=2)
    result, sink = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and sorted(sink.losses()) == [1, 2]
    progress = [e.training_progress for e in sink.events if e.HasField("training_progress")]
    assert progress[-1].total_steps == 2


@pytest.mark.parametrize("schedule", ["constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial"])
def test_learning_rate_schedules_warm_up_and_decay(workspace: Path, schedule: str) -> None:
    raw = tiny_run_config(workspace, name=f"lr-{schedule}", lr_scheduler=schedule, lr_warmup_steps=2, max_train_steps=5)
    _, sink = train(workspace, raw)
    rates = [e.training_progress.learning_rate for e in sink.events if e.HasField("training_progress")]
    assert rates[0] < rates[1]  # warming up
    if schedule != "constant_with_warmup":
        assert rates[-1] < max(rates)  # decaying


def test_validation_previews_are_announced_as_intermediary_images(workspace: Path) -> None:
    raw = tiny_run_config(
        workspace,
        name="previews",
        max_train_steps=2,
        validation_prompt="a blue square",
        validation_preview=True,
        validation_preview_steps=1,
    )
    _, sink = train(workspace, raw)
    images = [e.validation_image for e in sink.events if e.HasField("validation_image")]
    kinds = {image.validation_type for image in images}
    assert kinds == {"intermediary", "final"}
    final = [image for image in images if image.validation_type == "final"][0]
    assert final.prompt == "a blue square" and final.step_label == "2/2" and list(final.resolution) == [64, 64]
    assert final.images[0].src.startswith("data:image/png;base64,") and final.images[0].mime_type == "image/png"


def test_a_corrupted_newest_checkpoint_is_refused_by_name_and_the_previous_one_resumes(workspace: Path) -> None:
    raw = tiny_run_config(
        workspace, name="corrupt", max_train_steps=4, checkpointing_steps=1, checkpoints_total_limit=5
    )
    train(workspace, raw | {"max_train_steps": 3})  # leaves checkpoint-1, -2 (and -3 is not written: it is the end)
    newest = workspace / "output" / "corrupt" / "checkpoint-2" / "trainable.safetensors"
    newest.write_bytes(b"not the bytes the manifest promised")
    result, sink = train(workspace, raw | {"resume_from_checkpoint": "latest"})
    warnings = [e.training_log.message for e in sink.events if e.HasField("training_log")]
    assert any("checkpoint-2" in w and "trainable.safetensors is corrupted" in w for w in warnings)
    assert sorted(sink.losses()) == [2, 3, 4] and result.status == ev.TRAINING_STATUS_COMPLETED


def test_two_processes_split_the_batches_and_save_one_model(workspace: Path, tmp_path: Path) -> None:
    raw = tiny_run_config(workspace, name="two", max_train_steps=3, checkpointing_steps=2)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(raw))
    env = os.environ | {"SIMPLETUNER_WORKSPACE": str(workspace), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "simpletuner.libs.cli.main",
        "train",
        "--config",
        str(config),
        "--num-processes",
        "2",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    output = workspace / "output" / "two"
    events = [json.loads(line) for line in (output / "events.jsonl").read_text().splitlines()]
    steps = [e["training_progress"]["step"] for e in events if "training_progress" in e]
    assert steps == ["1", "2", "3"]  # one report per step, from the main process only
    assert (output / "checkpoint-2" / "manifest.json").is_file() and (
        output / "pytorch_lora_weights.safetensors"
    ).is_file()
    assert sorted(p.name for p in (output / "checkpoint-2").glob("random_states_*.pkl")) == [
        "random_states_0.pkl",
        "random_states_1.pkl",
    ]


@pytest.mark.parametrize("precision", ["int8-quanto", "int4-quanto"])
def test_a_lora_trains_over_a_quantised_base_model(workspace: Path, precision: str) -> None:
    raw = tiny_run_config(workspace, name=f"quantised-{precision}", base_model_precision=precision, max_train_steps=2)
    result, sink = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and len(sink.losses()) == 2
    assert result.output is not None and load_file(str(result.output))


@pytest.mark.parametrize(
    ("option", "value", "model_type"),
    [
        ("base_model_precision", "nf4-bnb", "lora"),
        ("fsdp_version", 1, "full"),
        ("deepspeed_stage", "3", "full"),
        ("report_to", "wandb", "lora"),
    ],
)
def test_settings_the_trainer_cannot_honour_yet_are_refused_not_ignored(
    workspace: Path, option: str, value: object, model_type: str
) -> None:
    from simpletuner.services.trainer.engine.run_config import ConfigError

    raw = tiny_run_config(workspace, name="refused", model_type=model_type) | {option: value}
    with pytest.raises(ConfigError, match=f"--{option}: .*not supported by this trainer yet"):
        RunConfig.load(raw, workspace, workspace / "configs")


def test_prefetching_batches_changes_nothing_but_the_pace(workspace: Path) -> None:
    _, plain = train(workspace, tiny_run_config(workspace, name="no-prefetch", max_train_steps=4))
    _, ahead = train(
        workspace, tiny_run_config(workspace, name="prefetch", max_train_steps=4, dataloader_prefetch=True)
    )
    if not torch.cuda.is_available():
        assert plain.losses() == ahead.losses()
    else:
        assert plain.losses() == pytest.approx(ahead.losses(), rel=1e-3)
