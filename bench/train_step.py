"""Training-step overhead of the engine against a bare diffusers/PyTorch loop, and what caching saves (prints figures).

Both loops train the same LoRA (same rank, targets, optimizer, batch and dtype) on the same built-in tiny model; the
step time is the median interval between optimisation steps after a warm-up. The engine's figure includes
everything it does per step (reading cached latents and embeddings, events, checkpoint checks), so the ratio is the
price of the engine. A second engine run on the same workspace shows the cached start-up.
Run: python bench/train_step.py [--family sd1x] [--steps 60] [--batch 2] [--precision no]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.testing.training import tiny_run_config
from simpletuner.services.trainer.engine import builtin_models
from simpletuner.services.trainer.engine.events import RunEvents
from simpletuner.services.trainer.engine.families import family_class
from simpletuner.services.trainer.engine.families.base import Batch
from simpletuner.services.trainer.engine.run_config import RunConfig
from simpletuner.services.trainer.engine.trainer import DTYPES, Trainer

WARMUP = 10


class Timings:
    """Event sink noting when each step and stage ended."""

    def __init__(self) -> None:
        self.step_times: list[float] = []
        self.stage_started: dict[str, float] = {}
        self.stage_seconds: dict[str, float] = {}

    def write(self, event: ev.Event) -> None:
        now = time.perf_counter()
        if event.HasField("training_progress"):
            self.step_times.append(now)
        elif event.HasField("training_stage_changed"):
            stage = event.training_stage_changed
            if stage.status == ev.STAGE_STATUS_RUNNING and stage.key not in self.stage_started:
                self.stage_started[stage.key] = now
            elif stage.status == ev.STAGE_STATUS_COMPLETED:
                self.stage_seconds[stage.key] = now - self.stage_started.get(stage.key, now)

    def close(self) -> None:
        return None

    def median_step(self) -> float:
        intervals = [b - a for a, b in zip(self.step_times[WARMUP:], self.step_times[WARMUP + 1 :], strict=False)]
        return statistics.median(intervals)


def engine_run(workspace: Path, raw: dict[str, Any]) -> Timings:
    timings = Timings()
    config = RunConfig.load(raw, workspace, workspace / "configs", job_id="bench")
    Trainer(config, RunEvents("bench", [timings])).run()
    return timings


def bare_loop(workspace: Path, raw: dict[str, Any], steps: int, count_flops: bool = False) -> tuple[float, float]:
    """The same training with diffusers and PyTorch only: no data pipeline, no events, no checkpoints.

    Returns the median step time and, with count_flops, the FLOPs of one step (else 0)."""
    from peft import LoraConfig
    from torch.utils.flop_counter import FlopCounterMode

    config = builtin_models.local_model(RunConfig.load(raw, workspace, workspace / "configs"))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.enable_cudnn_sdp(False)  # as the engine does (its attention backward fails on Flux)
    dtype = DTYPES[str(config["mixed_precision"])]
    family = family_class(config.model_family)(config, device, dtype)
    family.load_text_encoders()
    embeds = family.encode_prompts(["a red circle on a white background"] * int(config["train_batch_size"]))
    denoiser = family.load_denoiser()
    denoiser.requires_grad_(False)
    denoiser.add_adapter(
        LoraConfig(
            r=int(config["lora_rank"]), lora_alpha=int(config["lora_rank"]), target_modules=family.lora_target_modules()
        )
    )  # type: ignore[operator]
    if config["gradient_checkpointing"]:
        denoiser.enable_gradient_checkpointing()  # type: ignore[operator]
    denoiser.to(device, dtype=dtype)  # frozen weights in the compute dtype, LoRA in float32, as the engine does
    params = [p for p in denoiser.parameters() if p.requires_grad]
    for parameter in params:
        parameter.data = parameter.data.float()
    optimizer = torch.optim.AdamW(params, lr=float(config["learning_rate"]))
    pixels = int(config["resolution"])
    batch_size = int(config["train_batch_size"])
    family.load_vae()  # the latent shape (channels, downscale) is the family's
    latents = family.encode_images(torch.rand(batch_size, 3, pixels, pixels, device=device) * 2 - 1)
    size = pixels
    batch = Batch(
        latents=latents.to(device),
        embeds={key: torch.stack([e[key] for e in embeds]).to(device) for key in embeds[0]},
        original_sizes=torch.tensor([[size, size]] * batch_size, device=device),
        crop_coords=torch.zeros(batch_size, 2, device=device),
        target_sizes=torch.tensor([[size, size]] * batch_size, device=device),
    )
    objective = family.objective()
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)
    times, flops = [], 0.0
    for step in range(steps):
        counter = FlopCounterMode(display=False) if count_flops and step == WARMUP - 1 else contextlib.nullcontext()
        with counter:
            with autocast:
                noised = objective.noise(batch.latents, None)
                prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
                loss = torch.nn.functional.mse_loss(prediction.float(), noised.target.float())
            loss.backward()
        if isinstance(counter, FlopCounterMode):
            flops = float(counter.get_total_flops())
        if float(config["max_grad_norm"] or 0) > 0:
            torch.nn.utils.clip_grad_norm_(params, float(config["max_grad_norm"]))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter())
    intervals = [b - a for a, b in zip(times[WARMUP:], times[WARMUP + 1 :], strict=False)]
    return statistics.median(intervals), flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="sd1x")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--precision", default="no", choices=["no", "bf16"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        raw = tiny_run_config(
            workspace,
            args.family,
            name="bench",
            max_train_steps=args.steps,
            train_batch_size=args.batch,
            mixed_precision=args.precision,
            noise_offset=0,
        )
        first = engine_run(workspace, raw)
        second = engine_run(workspace, raw | {"output_dir": str(workspace / "output" / "bench-2")})
        bare, _ = bare_loop(workspace, raw, args.steps)
    ours = statistics.median([first.median_step(), second.median_step()])
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    print(f"family {args.family}, batch {args.batch}, precision {args.precision}, {args.steps} steps on {device}")
    print(f"step time: engine {ours * 1000:.1f} ms, bare loop {bare * 1000:.1f} ms, ratio {ours / bare:.3f}")
    for key in ("init_text_cache", "init_vae_cache"):
        cold, warm = first.stage_seconds.get(key, 0.0), second.stage_seconds.get(key, 0.0)
        print(f"{key}: first run {cold:.2f} s, cached run {warm:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
