"""What every model family shares: frozen modules, per-prompt embeddings, VAE latents and previews, step callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

# diffusers' defining modules, not its lazy top level: mypy resolves `from diffusers import X` to the dummy objects
from diffusers.models.autoencoders.autoencoder_dc import AutoencoderDC
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from PIL import Image

from .base import PromptEmbeds, SampleRequest

ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)
# diffusers' callback_on_step_end: (pipeline, step index, timestep, tensors asked for) -> tensors to replace
StepCallback = Callable[[DiffusionPipeline, int, torch.Tensor, dict[str, Any]], dict[str, Any]]
Vae = AutoencoderKL | AutoencoderDC


def frozen(module: ModuleT, device: torch.device) -> ModuleT:
    """A module that is only ever evaluated: no gradients, eval mode (no dropout), on `device`."""
    module.requires_grad_(False)
    module.eval()
    return module.to(device)


def split_prompts(batched: dict[str, torch.Tensor]) -> list[PromptEmbeds]:
    """Batched encoder outputs to one dict per prompt on the CPU.

    Each row is cloned: a row of a batch is a view of the whole batch's storage, which torch.save would write
    into every prompt's cache file.
    """
    count = next(iter(batched.values())).shape[0]
    return [{key: value[row].detach().cpu().clone() for key, value in batched.items()} for row in range(count)]


def latent_scaling(vae: Vae) -> tuple[float, float]:
    """The VAE's (shift_factor, scaling_factor): most only scale, SD3's and Flux's shift as well."""
    return float(vae.config.get("shift_factor") or 0.0), float(vae.config["scaling_factor"])


def scale_latents(vae: Vae, latents: torch.Tensor) -> torch.Tensor:
    """The VAE's raw latents as the denoiser sees them: (latents - shift_factor) * scaling_factor, float32 on the CPU.

    float32 whatever the VAE's dtype: the objective draws noise and targets in the latents' dtype.
    """
    shift, scale = latent_scaling(vae)
    return ((latents - shift) * scale).float().cpu()


@torch.no_grad()
def encode_latents(vae: AutoencoderKL, pixels: torch.Tensor, sample: bool = False) -> torch.Tensor:
    """Pixels in [-1, 1] to scaled latents (scale_latents) of the posterior's mode, or of a draw with sample=True.

    The SD families take the mode: latents are cached once and reused every epoch, so a sample would freeze one
    arbitrary draw anyway, and the mode makes the cache independent of batch order and size. Their posteriors are
    narrow (std ~1e-2 of the latent scale), so little augmentation is lost. Flux and PixArt cache a draw.
    """
    posterior = vae.encode(pixels.to(vae.device, vae.dtype)).latent_dist
    return scale_latents(vae, posterior.sample() if sample else posterior.mode())


@torch.no_grad()
def decode_preview(vae: Vae, latents: torch.Tensor) -> Image.Image:
    """The first image of a latent batch (undoing scale_latents' shift and scale) as a PIL image, decoded in the
    VAE's dtype."""
    shift, scale = latent_scaling(vae)
    unscaled = latents[:1].to(vae.device, vae.dtype) / scale + shift
    pixels = vae.decode(unscaled, return_dict=False)[0][0]
    array = ((pixels.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0)
    return Image.fromarray(array.cpu().numpy())


def step_callback(
    request: SampleRequest, view: Callable[[torch.Tensor], torch.Tensor] | None = None
) -> StepCallback | None:
    """diffusers' callback_on_step_end calling request.on_step(step, timestep, latents), or None without one.

    `view` first turns the pipeline's latents into encode_images' layout where the two differ (Flux packs them).
    """
    on_step = request.on_step
    if on_step is None:
        return None

    def callback(pipeline: DiffusionPipeline, step: int, timestep: torch.Tensor, tensors: dict[str, Any]) -> dict:
        latents = tensors["latents"]
        on_step(step, int(timestep), latents if view is None else view(latents))
        return {}  # nothing replaced: the pipeline keeps its own latents

    return callback
