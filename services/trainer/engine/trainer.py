"""The training loop: load, cache, adapt, optimise, checkpoint, validate and save, announcing every stage."""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from safetensors.torch import load_file, save_file

from simpletuner.api.events.v1 import events_pb2 as ev

from . import adapters, builtin_models, distributed, optim
from .checkpoints import CheckpointError, Checkpoints
from .controls import Controls
from .data.pipeline import TrainingData
from .events import RunEvents
from .families import family_class
from .families.base import Batch, ModelFamily, PromptEmbeds, release_memory
from .hooks import Hooks
from .hub import HubUploader
from .losses import training_loss
from .prefetch import prefetched
from .quantization import quantize_frozen
from .run_config import ConfigError, RunConfig
from .validation import Validator

TRAINABLE_FILE = "trainable.safetensors"
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}
ProgressCallback = Callable[[int, int], None]


class RunState:
    """Where the run is, checkpointed with the model. Noise is drawn from a generator seeded by (seed, process,
    epoch, micro-step), so a resumed run draws exactly what the full run did, whatever the number of processes."""

    def __init__(self, device: torch.device, seed: int, rank: int) -> None:
        self.step = 0  # optimisation steps done
        self.epoch = 1
        self.position = 0  # micro-steps of the current epoch already taken
        self.seed, self.rank = seed, rank
        self.generator = torch.Generator(device=device)

    def noise_generator(self) -> torch.Generator:
        digest = hashlib.sha256(f"noise:{self.seed}:{self.rank}:{self.epoch}:{self.position}".encode()).digest()
        return self.generator.manual_seed(int.from_bytes(digest[:8], "big") >> 1)

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.step, "epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step, self.epoch, self.position = int(state["step"]), int(state["epoch"]), int(state["position"])


class LazyTextEncoders:
    """Loads the text encoders only if some prompt is not cached yet (a cached run never loads them)."""

    def __init__(self, family: ModelFamily) -> None:
        self.family = family
        self.loaded = False

    def encode(self, prompts: list[str]) -> list[PromptEmbeds]:
        if not self.loaded:
            self.family.load_text_encoders()
            self.loaded = True
        return self.family.encode_prompts(prompts)

    def unload(self) -> None:
        if self.loaded:
            self.family.unload_text_encoders()
            release_memory()


@dataclass
class RunResult:
    status: ev.TrainingStatus
    step: int
    output: Path | None  # the final model (completed runs) or the last checkpoint (stopped runs)


class Trainer:
    """One training run of a resolved config."""

    def __init__(
        self,
        config: RunConfig,
        events: RunEvents,
        controls: Controls | None = None,
        progress_bar: Callable[[str, int], ProgressCallback] | None = None,
    ) -> None:
        self.config = config
        self.events = events
        self.controls = controls or Controls()
        # progress_bar(label, total) -> update(current, total): the CLI shows bars, services pass None
        self.progress_bar = progress_bar
        self.checkpoints = Checkpoints(
            config.output_dir,
            config.get("checkpoints_total_limit"),
            warn=lambda m: events.log(m, ev.LOG_SEVERITY_WARNING),
        )
        self.hooks = Hooks(config, events)
        self.hub = HubUploader(config, events, self.hooks)

    def run(self) -> RunResult:
        self.events.status(ev.TRAINING_STATUS_STARTING)
        try:
            self._set_up()
            self.events.status(ev.TRAINING_STATUS_RUNNING)
            if self._train():
                path = self._save_checkpoint()
                self.events.status(ev.TRAINING_STATUS_STOPPED, f"stopped at step {self.state.step}; resume from {path}")
                return RunResult(ev.TRAINING_STATUS_STOPPED, self.state.step, path)
            output = self._finish()
        except BaseException as exc:
            self.events.status(ev.TRAINING_STATUS_FAILED, f"{type(exc).__name__}: {exc}")
            raise
        self.events.status(ev.TRAINING_STATUS_COMPLETED)
        return RunResult(ev.TRAINING_STATUS_COMPLETED, self.state.step, output)

    # set-up

    def _set_up(self) -> None:
        config = self.config
        precision = str(config["mixed_precision"])
        if precision == "fp16" and not torch.cuda.is_available():
            raise ConfigError([("mixed_precision", "fp16 needs a GPU; use bf16 or no on the CPU")])
        self.accelerator = self._accelerator(precision)
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        if torch.cuda.is_available():
            # cuDNN's attention backward fails on Flux-sized sequences ("mha_graph.execute ... is_good()", seen on
            # an H100 with torch 2.11); flash and memory-efficient attention kernels take over
            torch.backends.cuda.enable_cudnn_sdp(False)
        seed = self.seed = int(config["seed"]) if config["seed"] is not None else 0
        set_seed(seed)
        self.weight_dtype = DTYPES[precision]
        device = self.accelerator.device
        with self._stage("init_load_base_model", "Loading the base model"):
            config = self.config = builtin_models.local_model(config)  # builds a built-in tiny model on first use
            self.family: ModelFamily = family_class(config.model_family)(config, device, self.weight_dtype)
            denoiser = self.family.load_denoiser()
            self.family.load_vae()
        with self._stage("init_data_backend", "Reading the datasets"):
            self.data = TrainingData.from_config(config, world_size=self.accelerator.num_processes)
        self.validator = Validator(config, self.family, self.data, self.events, self.hooks)
        with self._stage("init_text_cache", "Caching text embeddings") as progress:
            encoders = LazyTextEncoders(self.family)
            self.data.cache_text(encoders.encode, self.validator.prompts(), progress)
            encoders.unload()
        with self._stage("init_vae_cache", "Caching VAE latents") as progress:
            self.data.cache_latents(self.family.encode_images, progress)
        with self._stage("init_prepare_models", "Preparing the model for training"):
            self._prepare(denoiser)
        self.state = RunState(device, seed, self.rank)
        self.rounds = self.data.rounds_per_epoch(self.world)
        self.accelerator.register_for_checkpointing(self.state)
        if self.ema is not None:
            self.accelerator.register_for_checkpointing(self.ema)
        self._resume()

    def _accelerator(self, precision: str) -> Accelerator:
        """One process, or one of several started by `simpletuner train --num-processes` (torchrun); plain data
        parallel, DeepSpeed ZeRO or FSDP2 as the config asks."""
        return distributed.build_accelerator(self.config, precision)

    def _prepare(self, denoiser: torch.nn.Module) -> None:
        config = self.config
        set_seed(self.seed)  # adapter weights start the same whatever loading and caching drew before
        if config["model_type"] != "full":  # frozen weights in the compute dtype (or quantised), trained ones in fp32
            denoiser.to(self.accelerator.device, dtype=self.weight_dtype)
            quantize_frozen(denoiser, str(config["base_model_precision"] or "no_change"))
        self.adapter = adapters.attach(denoiser, self.family, config)
        if config["model_type"] != "full":
            for parameter in self.adapter.parameters():
                parameter.data = parameter.data.float()
        if config["gradient_checkpointing"]:
            denoiser.enable_gradient_checkpointing()  # type: ignore[operator]
        self.accumulation = max(1, int(config["gradient_accumulation_steps"] or 1))
        self.total_steps = self._total_steps()
        optimizer = optim.build_optimizer(self.adapter.parameters(), config)
        scheduler = optim.build_scheduler(optimizer, config, self.total_steps)
        self.denoiser, self.optimizer, self.scheduler = self.accelerator.prepare(denoiser, optimizer, scheduler)
        distributed.after_prepare(self.accelerator, self.adapter, self.denoiser)
        self.ema = self._ema()
        self.accelerator.register_save_state_pre_hook(self._save_trainable)
        self.accelerator.register_load_state_pre_hook(self._load_trainable)

    def _ema(self) -> Any:
        if not self.config["use_ema"]:
            return None
        from diffusers.training_utils import EMAModel

        return EMAModel(self.adapter.parameters(), decay=float(self.config["ema_decay"]))

    def _total_steps(self) -> int:
        steps = int(self.config["max_train_steps"] or 0)
        if steps > 0:
            return steps
        per_epoch = math.ceil(self.data.rounds_per_epoch(self.world) / self.accumulation)
        return int(self.config["num_train_epochs"]) * per_epoch

    def _resume(self) -> None:
        wanted = str(self.config["resume_from_checkpoint"] or "")
        if not wanted:
            return
        with self._stage("init_resume_checkpoint", "Resuming from a checkpoint"):
            folder = self.checkpoints.latest() if wanted == "latest" else self.checkpoints.named(wanted)
            if folder is None:
                self.events.log("no checkpoint to resume from; starting from step 0")
                return
            self.accelerator.load_state(str(folder))
            self.events.log(f"resumed from {folder.name} at step {self.state.step}")

    # the loop

    def _train(self) -> bool:
        """Optimise until total_steps; True when stopped early on request."""
        objective = self.family.objective()
        self.denoiser.train()
        self.step_bar = self.progress_bar("Training", self.total_steps) if self.progress_bar else None
        started, started_step = time.monotonic(), self.state.step
        losses: list[float] = []
        while self.state.step < self.total_steps:
            with contextlib.closing(self._epoch_batches()) as batches:  # closing stops a prefetch thread at once
                for batch in batches:
                    losses.append(self._micro_step(batch, objective))
                    if not self._syncs():
                        continue
                    self._optimizer_step()
                    self._report(sum(losses), started, started_step)
                    losses = []
                    if self._after_step():
                        return True
                    if self.state.step >= self.total_steps:
                        return False
            self.state.epoch += 1
            self.state.position = 0
        return False

    def _epoch_batches(self) -> Generator[Batch, None, None]:
        batches = self.data.iterate(self.state.epoch, self.state.position, self.rank, self.world)
        if self.config["dataloader_prefetch"]:
            batches = prefetched(batches, int(self.config["dataloader_prefetch_qlen"] or 1))
        for batch in batches:
            self.state.position += 1
            yield batch

    def _syncs(self) -> bool:
        """Gradients are applied every gradient_accumulation_steps micro-batches and at the end of an epoch."""
        return self.state.position % self.accumulation == 0 or self.state.position >= self.rounds

    def _micro_step(self, batch: Batch, objective: Any) -> float:
        batch = _to_device(batch, self.accelerator.device)
        sync = self._syncs()
        distributed.set_sync(self.accelerator, sync)
        context = contextlib.nullcontext() if sync else self.accelerator.no_sync(self.denoiser)
        with context, distributed.autocast(self.accelerator):
            noised = objective.noise(batch.latents, self.state.noise_generator())
            prediction = self.family.predict(self.denoiser, noised.noisy, noised.timesteps, batch)
            loss = training_loss(prediction, noised.target, noised.timesteps, noised.weights, self.config)
            self.accelerator.backward(loss / self.accumulation)
        mean = self.accelerator.reduce(loss.detach(), reduction="mean") if self.world > 1 else loss.detach()
        return float(mean) / self.accumulation

    def _optimizer_step(self) -> None:
        max_norm = float(self.config["max_grad_norm"] or 0)
        if max_norm > 0:
            self.accelerator.clip_grad_norm_(self.adapter.parameters(), max_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            self.ema.step(self.adapter.parameters())
        self.state.step += 1

    def _report(self, loss: float, started: float, started_step: int) -> None:
        done = self.state.step - started_step
        pace = done / max(time.monotonic() - started, 1e-9)
        progress = ev.TrainingProgress(
            step=self.state.step,
            total_steps=self.total_steps,
            epoch=self.state.epoch,
            total_epochs=math.ceil(self.total_steps * self.accumulation / max(self.rounds, 1)),
            loss=loss,
            learning_rate=float(self.scheduler.get_last_lr()[0]),
            steps_per_second=pace,
            eta_seconds=(self.total_steps - self.state.step) / pace if pace > 0 else 0.0,
        )
        self.events.progress(progress)
        if self.step_bar:
            self.step_bar(self.state.step, self.total_steps)

    def _after_step(self) -> bool:
        """Periodic and requested checkpoints and validations; True when a stop was requested."""
        self.controls.poll()
        distributed.agree(self.controls, self.accelerator.device)  # every rank acts on a request at the same step
        self.hooks.poll()  # background validation scripts that finished
        step = self.state.step
        every = int(self.config["checkpointing_steps"] or 0)
        if (every > 0 and step % every == 0 and step < self.total_steps) or self.controls.checkpoint:
            self.controls.checkpoint = False
            self._save_checkpoint()
        every = int(self.config["validation_steps"] or 0)
        periodic = every > 0 and step % every == 0 and step < self.total_steps
        if self.validator.enabled and (periodic or self.controls.validate):
            self.controls.validate = False
            self._validate(final=False)
        return self.controls.stop

    # saving and validation

    def _save_checkpoint(self) -> Path:
        """Every process writes its part into one temp folder; the main process seals and renames it."""
        step = self.state.step
        with self._stage("checkpoint_save", f"Saving checkpoint-{step}"):
            partial = self.checkpoints.partial(step, tag=self.config.job_id or "run")
            self.accelerator.save_state(str(partial))
            self.accelerator.wait_for_everyone()
            path = self.checkpoints.seal(step, partial) if self.accelerator.is_main_process else partial
            self.accelerator.wait_for_everyone()
        path = self.checkpoints.folder(step)
        self.events.checkpoint(path, step)
        if self.accelerator.is_main_process:
            self.hooks.after_checkpoint(path, step)
            self.hub.upload_checkpoint(path, step)  # synchronous: rotation cannot delete it mid-upload
        return path

    def _save_trainable(self, models: list[Any], weights: list[Any], folder: str) -> None:
        # accelerate would store every weight of the model; a checkpoint needs only what trains
        if distributed.shards_weights(self.accelerator):
            return  # DeepSpeed and FSDP (full fine-tunes) already wrote the model with its optimizer, per process
        if self.accelerator.is_main_process:
            save_file(
                {k: v.contiguous() for k, v in self.adapter.trainable_state().items()}, Path(folder) / TRAINABLE_FILE
            )
        weights.clear()

    def _load_trainable(self, models: list[Any], folder: str) -> None:
        if distributed.shards_weights(self.accelerator):
            return  # accelerate has already loaded the engine's own checkpoint
        path = Path(folder) / TRAINABLE_FILE
        if not path.is_file():
            raise CheckpointError(f"{path} is missing")
        self.adapter.load_trainable_state(load_file(str(path), device=str(self.accelerator.device)))
        models.clear()

    def _validate(self, final: bool, model: Path | None = None) -> None:
        """The main process samples while the others wait."""
        denoiser = self.accelerator.unwrap_model(self.denoiser)
        key, label = ("final_validation", "Final validation") if final else ("validation", "Validation")
        if self.accelerator.is_main_process:
            with self._stage(key, label):
                newest = model or next(iter(self.checkpoints.complete()), None)  # for an external script
                self.validator.run(denoiser, self.state.step, self.total_steps, newest)
        self.accelerator.wait_for_everyone()
        self.denoiser.train()

    def _finish(self) -> Path:
        self.accelerator.wait_for_everyone()
        if self.ema is not None:
            self.ema.copy_to(self.adapter.parameters())  # the released model carries the averaged weights
        output = self.config.output_dir
        with self._stage("model_save", "Saving the trained model"):
            target = output / "pipeline" if self.config["model_type"] == "full" else output
            saved = distributed.save_final(self.accelerator, self.adapter, self.denoiser, self.family, target)
        self.events.checkpoint(saved, self.state.step, is_final=True)
        if self.validator.enabled:
            self._validate(final=True, model=saved)
        if self.accelerator.is_main_process:
            self.hub.upload_final(saved, self.state.step, list(self.validator.library().values()))
        self.hooks.poll()
        with self._stage("training_complete", "Training complete"):
            pass
        return saved

    @contextlib.contextmanager
    def _stage(self, key: str, label: str) -> Iterator[Callable[[int, int], None]]:
        """Announce a lifecycle stage around a block; the block gets a progress(current, total) callback."""
        self.events.stage(key, label, ev.STAGE_STATUS_RUNNING)
        bars: list[ProgressCallback] = []  # opened on the first report, so stages without counts show no bar
        last = [0.0]

        def progress(current: int, total: int) -> None:
            if self.progress_bar and not bars:
                bars.append(self.progress_bar(label, total))
            for bar in bars:
                bar(current, total)
            now = time.monotonic()
            if now - last[0] >= 1.0 or current >= total:  # at most one event a second
                last[0] = now
                self.events.stage(key, label, ev.STAGE_STATUS_RUNNING, current, total)

        try:
            yield progress
        except BaseException:
            self.events.stage(key, label, ev.STAGE_STATUS_FAILED)
            raise
        self.events.stage(key, label, ev.STAGE_STATUS_COMPLETED)


def _to_device(batch: Batch, device: torch.device) -> Batch:
    return Batch(
        latents=batch.latents.to(device),
        embeds={key: value.to(device) for key, value in batch.embeds.items()},
        original_sizes=batch.original_sizes.to(device),
        crop_coords=batch.crop_coords.to(device),
        target_sizes=batch.target_sizes.to(device),
        conditioning_latents=None if batch.conditioning_latents is None else batch.conditioning_latents.to(device),
    )
