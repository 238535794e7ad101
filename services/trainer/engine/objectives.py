"""Training objectives: how clean latents are noised and what the denoiser must predict.

DDPM-style families (SD 1.x/2.x, SDXL, PixArt) predict noise (epsilon) or velocity (v); flow-matching families
(SD3, Flux, Sana) predict the velocity from data to noise along a straight path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import cast

import torch
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler

from .run_config import RunConfig


@dataclass
class Noised:
    noisy: torch.Tensor  # the denoiser's input
    timesteps: torch.Tensor  # (B,) what the denoiser is told (0..1000)
    target: torch.Tensor  # what it should output
    weights: torch.Tensor | None  # (B,) per-sample loss weights (min-SNR), or None


class Objective(ABC):
    @abstractmethod
    def noise(self, latents: torch.Tensor, generator: torch.Generator | None) -> Noised:
        """Noise a batch of clean latents (random draws come only from `generator`, for exact resumes)."""


def _offset_noise(latents: torch.Tensor, config: RunConfig, generator: torch.Generator | None) -> torch.Tensor:
    noise = torch.randn(latents.shape, generator=generator, dtype=latents.dtype, device=latents.device)
    offset = float(config["noise_offset"] or 0)
    if offset > 0:
        chance = torch.rand((), generator=generator, device=latents.device)
        if chance < float(config["noise_offset_probability"]):
            shape = (latents.shape[0], latents.shape[1], 1, 1)
            noise += offset * torch.randn(shape, generator=generator, dtype=latents.dtype, device=latents.device)
    return noise


class DiffusionObjective(Objective):
    """Epsilon or v prediction over a DDPM noise schedule, with optional min-SNR weighting (snr_gamma)."""

    def __init__(self, scheduler: DDPMScheduler, config: RunConfig) -> None:
        self.scheduler = scheduler
        self.config = config
        self.prediction_type = str(scheduler.config["prediction_type"])
        self.num_timesteps = int(scheduler.config["num_train_timesteps"])

    def noise(self, latents: torch.Tensor, generator: torch.Generator | None) -> Noised:
        noise = _offset_noise(latents, self.config, generator)
        shape = (latents.shape[0],)
        timesteps = torch.randint(0, self.num_timesteps, shape, generator=generator, device=latents.device)
        indices = cast(torch.IntTensor, timesteps.int())  # the scheduler indexes its tables with an IntTensor
        noisy = self.scheduler.add_noise(latents, noise, indices)
        if self.prediction_type == "v_prediction":
            target = self.scheduler.get_velocity(latents, noise, indices)
        else:
            target = noise
        return Noised(noisy, timesteps, target, self._snr_weights(timesteps))

    def snr(self, timesteps: torch.Tensor) -> torch.Tensor:
        alphas = self.scheduler.alphas_cumprod.to(timesteps.device)[timesteps].float()
        return alphas / (1 - alphas)

    def _snr_weights(self, timesteps: torch.Tensor) -> torch.Tensor | None:
        gamma = self.config.get("snr_gamma")
        if not gamma:
            return None
        snr = self.snr(timesteps)
        clipped = torch.minimum(snr, torch.full_like(snr, float(gamma)))
        return clipped / (snr + 1) if self.prediction_type == "v_prediction" else clipped / snr


class FlowMatchingObjective(Objective):
    """Rectified flow: noisy = (1 - σ)·x + σ·ε, target = ε - x, with σ drawn per flow_sampling_timesteps and
    shifted by flow_schedule_shift (larger shifts spend more steps at high noise)."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.sampling = str(config["flow_sampling_timesteps"])
        self.shift = float(config["flow_schedule_shift"] or 1.0)

    def noise(self, latents: torch.Tensor, generator: torch.Generator | None) -> Noised:
        noise = _offset_noise(latents, self.config, generator)
        sigmas = self.sigmas(latents.shape[0], generator, latents.device)
        expanded = sigmas.view(-1, *([1] * (latents.ndim - 1))).to(latents.dtype)
        noisy = (1 - expanded) * latents + expanded * noise
        return Noised(noisy, sigmas * 1000, noise - latents, None)

    def sigmas(self, count: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        if self.sampling == "uniform":
            raw = torch.rand((count,), generator=generator, device=device)
        else:  # sigmoid of a normal draw ("logit_normal" and SimpleTuner's "sigmoid" name the same thing)
            raw = torch.sigmoid(torch.randn((count,), generator=generator, device=device))
        return self.shift * raw / (1 + (self.shift - 1) * raw)
