"""Optimizers and learning-rate schedules, by the names the options catalogue offers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from diffusers.optimization import get_scheduler

from .run_config import ConfigError, RunConfig

Params = list[torch.nn.Parameter]


@dataclass(frozen=True)
class AdamArgs:
    """The Adam-family settings most optimizers share."""

    lr: float
    betas: tuple[float, float]
    weight_decay: float
    eps: float


def _adamw(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    args = _adam_args(config)
    return torch.optim.AdamW(params, lr=args.lr, betas=args.betas, weight_decay=args.weight_decay, eps=args.eps)


def _adamw_bf16(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    # bf16 weights lose small updates to rounding; optimi's Kahan summation keeps them (SimpleTuner's adamw_bf16)
    from optimi import AdamW

    args = _adam_args(config)
    return AdamW(params, lr=args.lr, betas=args.betas, weight_decay=args.weight_decay, eps=args.eps)


def _adamw8bit(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    if not torch.cuda.is_available():
        raise ConfigError([("optimizer", "adamw8bit needs a CUDA GPU (bitsandbytes); use adamw or adamw_bf16 here")])
    try:
        import bitsandbytes
    except ImportError:
        raise ConfigError([("optimizer", "adamw8bit needs bitsandbytes: pip install 'simpletuner[cuda]'")]) from None
    args = _adam_args(config)
    optimizer: torch.optim.Optimizer = bitsandbytes.optim.AdamW8bit(
        params, lr=args.lr, betas=args.betas, weight_decay=args.weight_decay, eps=args.eps
    )
    return optimizer


def _lion(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    from lion_pytorch import Lion

    args = _adam_args(config)
    return Lion(params, lr=args.lr, betas=args.betas, weight_decay=args.weight_decay)


def _prodigy(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    # Prodigy estimates the step size itself: learning_rate is a multiplier, 1.0 as its authors advise
    from prodigyopt import Prodigy

    args = _adam_args(config)
    return Prodigy(params, lr=args.lr, betas=args.betas, weight_decay=args.weight_decay)


def _adafactor(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    return torch.optim.Adafactor(
        params, lr=float(config["learning_rate"]), weight_decay=_adam_args(config).weight_decay
    )


OPTIMIZERS: dict[str, Callable[[Params, RunConfig], torch.optim.Optimizer]] = {
    "adamw": _adamw,
    "adamw_bf16": _adamw_bf16,
    "adamw8bit": _adamw8bit,
    "lion": _lion,
    "prodigy": _prodigy,
    "adafactor": _adafactor,
}


def _adam_args(config: RunConfig) -> AdamArgs:
    return AdamArgs(
        lr=float(config["learning_rate"]),
        betas=(float(config["adam_beta1"]), float(config["adam_beta2"])),
        weight_decay=float(config["adam_weight_decay"]),
        eps=float(config["adam_epsilon"]),
    )


def build_optimizer(params: Params, config: RunConfig) -> torch.optim.Optimizer:
    name = str(config["optimizer"])
    if name not in OPTIMIZERS:
        raise ConfigError([("optimizer", f"{name} is not supported; choose one of {', '.join(OPTIMIZERS)}")])
    if not params:
        raise ConfigError([("model_type", "nothing to train: the adapter matched no modules of this model")])
    return OPTIMIZERS[name](params, config)


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: RunConfig, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """lr_scheduler with lr_warmup_steps (and lr_num_cycles / lr_power where they apply), over total_steps."""
    return get_scheduler(
        str(config["lr_scheduler"]),
        optimizer,
        num_warmup_steps=int(config["lr_warmup_steps"] or 0),
        num_training_steps=total_steps,
        num_cycles=int(config["lr_num_cycles"] or 1),
        power=float(config["lr_power"] or 1.0),
    )
