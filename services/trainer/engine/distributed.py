"""Multi-process training: the Accelerator for DDP, DeepSpeed ZeRO or FSDP2 as the config asks, and ranks that agree."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import DeepSpeedPlugin, DistributedType, FullyShardedDataParallelPlugin, InitProcessGroupKwargs

from simpletuner.libs.options import validation
from simpletuner.libs.options.validation import INSTALL_DEEPSPEED

from . import adapters
from .controls import Controls
from .families.base import ModelFamily
from .run_config import ConfigError, RunConfig

DDP, DEEPSPEED, FSDP = "ddp", "deepspeed", "fsdp"
EXPECTED = {DEEPSPEED: DistributedType.DEEPSPEED, FSDP: DistributedType.FSDP}
HALF = {"bf16": torch.bfloat16, "fp16": torch.float16}


def backend(config: RunConfig) -> str:
    """Which engine shards the run: deepspeed, fsdp, or ddp (plain data parallel, also for one process)."""
    if validation.deepspeed_requested(config.as_dict()):
        return DEEPSPEED
    return FSDP if config["fsdp_enable"] else DDP


def build_accelerator(config: RunConfig, precision: str) -> Accelerator:
    kind = backend(config)
    refuse_other_launcher_sharding(kind)
    cuda = torch.cuda.is_available()
    if kind == DDP:
        return Accelerator(mixed_precision=precision, cpu=not cuda)
    if kind == DEEPSPEED and importlib.util.find_spec("deepspeed") is None:
        raise ConfigError([("deepspeed_stage", f"DeepSpeed is not installed; install it with {INSTALL_DEEPSPEED}")])
    single_process_rendezvous()
    # without a GPU, DeepSpeed talks over gloo; accelerate only finds that backend by itself with cpu=True,
    # which would also switch DeepSpeed off
    handlers = [] if cuda else [InitProcessGroupKwargs(backend="gloo")]
    if kind == DEEPSPEED:
        accelerator = Accelerator(
            mixed_precision=precision, deepspeed_plugin=deepspeed_plugin(config), kwargs_handlers=handlers
        )
    else:
        accelerator = Accelerator(mixed_precision=precision, fsdp_plugin=fsdp_plugin(config), kwargs_handlers=handlers)
    require(accelerator, kind)
    return accelerator


def refuse_other_launcher_sharding(kind: str) -> None:
    """`accelerate launch` passes its config's DeepSpeed/FSDP choice in the environment; the run's options are the
    one place that decides (the validator checked them), so a launcher asking for something else stops the run."""
    for variable, launched, label, field in (
        ("ACCELERATE_USE_DEEPSPEED", DEEPSPEED, "DeepSpeed", "deepspeed_stage"),
        ("ACCELERATE_USE_FSDP", FSDP, "FSDP", "fsdp_enable"),
    ):
        if os.environ.get(variable, "false").lower() == "true" and kind != launched:
            message = (
                f"accelerate launch asked for {label}, but the run's options decide how it shards: "
                f"set {field} in the run's config, or take {label} out of the accelerate config"
            )
            raise ConfigError([(field, message)])


def require(accelerator: Accelerator, kind: str) -> None:
    """accelerate quietly falls back to plain data parallel where it cannot shard; a run asked to shard stops."""
    running = accelerator.distributed_type.value
    if accelerator.distributed_type == EXPECTED[kind]:
        return
    if kind == FSDP:  # accelerate 1.x turns FSDP on for GPU-type devices only, never for CPU processes
        fix = "turn fsdp_enable off, or use deepspeed_stage 2 on this machine"
        raise ConfigError([("fsdp_enable", f"accelerate shards with FSDP on GPUs only (this run is {running}): {fix}")])
    raise ConfigError([("deepspeed_stage", f"accelerate did not start DeepSpeed (this run is {running})")])


def single_process_rendezvous() -> None:
    """accelerate starts DeepSpeed and FSDP only in a launched process: make a lone process a world of one."""
    if "LOCAL_RANK" in os.environ:
        return
    with socket.socket() as probe:  # a free port for the one-process group
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_WORLD_SIZE", "1")):
        os.environ[name] = value
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(port))


def deepspeed_plugin(config: RunConfig) -> DeepSpeedPlugin:
    """ZeRO at deepspeed_stage, or the deepspeed_config JSON; batch, accumulation and clipping come from the run."""
    clip = float(config["max_grad_norm"] or 0)
    given = str(config["deepspeed_config"] or "")
    custom = validation.read_deepspeed_config(given, config.workspace / "configs", config.workspace) if given else None
    settings: dict[str, Any] = {
        "zero_stage": int(config["deepspeed_stage"]),
        "gradient_clipping": clip,
        # the loop accumulates itself (loss / accumulation, a sync flag per micro-batch): DeepSpeed must not scale again
        "gradient_accumulation_steps": 1,
        "offload_optimizer_device": "none",
        "offload_param_device": "none",
        "zero3_init_flag": False,
        "zero3_save_16bit_model": False,
    }
    if custom is not None:
        custom |= {"gradient_accumulation_steps": 1, "train_batch_size": "auto"}
        custom.setdefault("gradient_clipping", clip)
        settings = {"hf_ds_config": custom, "gradient_clipping": clip, "gradient_accumulation_steps": 1}
    plugin = DeepSpeedPlugin(**settings)
    # accelerate reads the micro-batch from a prepared DataLoader; this engine batches itself
    plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = int(config["train_batch_size"])
    return plugin


def fsdp_plugin(config: RunConfig) -> FullyShardedDataParallelPlugin:
    names = [name.strip() for name in str(config["fsdp_transformer_layer_cls_to_wrap"] or "").split(",")]
    return FullyShardedDataParallelPlugin(
        fsdp_version=2,
        reshard_after_forward=bool(config["fsdp_reshard_after_forward"]),
        state_dict_type=str(config["fsdp_state_dict_type"]),
        auto_wrap_policy=str(config["fsdp_auto_wrap_policy"]),
        transformer_cls_names_to_wrap=[name for name in names if name] or None,
        activation_checkpointing=False,  # gradient_checkpointing does it the diffusers way
    )


def set_sync(accelerator: Accelerator, sync: bool) -> None:
    """Tell accelerate whether this micro-batch ends an accumulation: under DeepSpeed its backward steps the engine
    only then. The loop counts micro-batches itself (epoch ends included), so accelerate's own counter is not used."""
    accelerator.gradient_state._set_sync_gradients(sync)


def autocast(accelerator: Accelerator) -> contextlib.AbstractContextManager[Any]:
    """accelerate leaves mixed precision to DeepSpeed, whose bf16 and fp16 modes cast the weights only: the inputs
    are cast here, as accelerate's own autocast does for the other backends."""
    precision = accelerator.mixed_precision
    if accelerator.distributed_type == DistributedType.DEEPSPEED and precision in HALF:
        return torch.autocast(accelerator.device.type, dtype=HALF[precision])
    return accelerator.autocast()


def after_prepare(accelerator: Accelerator, adapter: adapters.Adapter, denoiser: torch.nn.Module) -> None:
    """FSDP2 swaps every parameter for a sharded one: what the adapter trains (clipping, EMA) must be the new ones."""
    if accelerator.distributed_type == DistributedType.FSDP:
        adapter.trainable = [p for p in accelerator.unwrap_model(denoiser).parameters() if p.requires_grad]


def save_final(
    accelerator: Accelerator, adapter: adapters.Adapter, denoiser: torch.nn.Module, family: ModelFamily, target: Path
) -> Path:
    """The main process writes the result; under FSDP every process first helps gather the sharded weights."""
    if accelerator.distributed_type != DistributedType.FSDP:
        return adapter.save_final(target, family) if accelerator.is_main_process else target
    state = accelerator.get_state_dict(denoiser)  # collective: the main process receives the whole model
    if not accelerator.is_main_process:
        return target
    whole = family.load_denoiser()
    whole.load_state_dict(state)
    return adapters.FullAdapter(whole).save_final(target, family)  # FSDP runs are full fine-tunes (validator)


def shards_weights(accelerator: Accelerator) -> bool:
    """DeepSpeed and FSDP save the model (and optimizer) themselves, each process its part."""
    return accelerator.distributed_type in (DistributedType.DEEPSPEED, DistributedType.FSDP)


def agree(controls: Controls, device: torch.device) -> None:
    """A request may reach one process a step before another: every rank takes the union, so all act together
    (a checkpoint or stop on one rank alone would leave the others waiting in a collective forever)."""
    if not torch.distributed.is_available() or not torch.distributed.is_initialized():
        return
    if torch.distributed.get_world_size() < 2:
        return
    flags = torch.tensor([controls.stop, controls.validate, controls.checkpoint], dtype=torch.int32, device=device)
    torch.distributed.all_reduce(flags, op=torch.distributed.ReduceOp.MAX)
    controls.stop, controls.validate, controls.checkpoint = (bool(flag) for flag in flags.tolist())
