"""The training loss between the denoiser's output and the objective's target: l2, pseudo-Huber or smooth L1,
optionally weighted per sample (min-SNR)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .run_config import RunConfig


def huber_c(config: RunConfig, timesteps: torch.Tensor) -> torch.Tensor:
    """The Huber threshold per sample: constant, or shrinking with the timestep (huber_schedule)."""
    c = float(config["huber_c"])
    progress = (timesteps.float() / 1000).clamp(0, 1)
    schedule = str(config["huber_schedule"])
    if schedule == "exponential":  # c at t=0 shrinking to c² at t=1000, where outliers dominate
        return torch.exp(math.log(c) * (1 + progress))
    if schedule == "snr":  # ~1 at high noise (plain l2 there), c at low noise
        return progress * (1 - c) + c
    return torch.full_like(progress, c)


def training_loss(
    prediction: torch.Tensor,
    target: torch.Tensor,
    timesteps: torch.Tensor,
    weights: torch.Tensor | None,
    config: RunConfig,
) -> torch.Tensor:
    prediction, target = prediction.float(), target.float()
    kind = str(config["loss_type"])
    if kind == "huber":
        c = huber_c(config, timesteps).view(-1, *([1] * (prediction.ndim - 1)))
        elementwise = 2 * c * (torch.sqrt((prediction - target) ** 2 + c**2) - c)
    elif kind == "smooth_l1":
        elementwise = F.smooth_l1_loss(prediction, target, reduction="none", beta=float(config["huber_c"]))
    else:
        elementwise = F.mse_loss(prediction, target, reduction="none")
    per_sample = elementwise.mean(dim=list(range(1, elementwise.ndim)))
    if weights is not None:
        per_sample = per_sample * weights.to(per_sample.device)
    return per_sample.mean()
