"""The one small interface every model family implements, and the batch the training loop hands it."""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from PIL import Image

from ..objectives import Objective
from ..run_config import RunConfig

# A prompt's embeddings, unbatched, on the CPU (what the text cache stores): e.g. {"prompt_embeds": (77, 768)}.
PromptEmbeds = dict[str, torch.Tensor]


@dataclass
class Batch:
    """One training batch, from the caches: every sample has the same latent size (one aspect bucket)."""

    latents: torch.Tensor  # (B, C, h, w) as encode_images returned them
    embeds: dict[str, torch.Tensor]  # each PromptEmbeds key stacked along a new first dimension
    original_sizes: torch.Tensor  # (B, 2) height, width of the source image (SDXL micro-conditioning)
    crop_coords: torch.Tensor  # (B, 2) top, left of the crop in the resized image
    target_sizes: torch.Tensor  # (B, 2) height, width of the training crop in pixels
    conditioning_latents: torch.Tensor | None = None  # reference-image latents (edit models such as Flux Kontext)


@dataclass
class SampleRequest:
    """What validation asks a pipeline for."""

    embeds: PromptEmbeds
    negative_embeds: PromptEmbeds | None
    width: int
    height: int
    num_inference_steps: int
    guidance: float
    generator: torch.Generator
    # called after each sampling step with (step index, timestep, current latents) for live previews
    on_step: Callable[[int, int, torch.Tensor], None] | None = None
    conditioning_image: Image.Image | None = None  # reference image (edit models)


class ModelFamily(ABC):
    """A diffusers model family: load its parts, encode prompts and images, noise, predict, sample.

    The training loop owns the denoiser (the trained module: a UNet or a transformer); the family knows how to
    call it. Families never touch the optimizer, adapters, caches or files: those are the engine's.
    """

    names: ClassVar[tuple[str, ...]]  # the model_family values it serves
    pipeline_class: ClassVar[type[DiffusionPipeline]]
    denoiser_subfolder: ClassVar[str]  # "unet" or "transformer": also the prefix of saved LoRA keys
    lora_targets: ClassVar[tuple[str, ...]]  # default PEFT target modules of the denoiser

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        self.config = config
        self.device = device
        self.weight_dtype = weight_dtype
        self.model_path = str(config["pretrained_model_name_or_path"])
        self.vae: Any = None

    # loading

    @abstractmethod
    def load_denoiser(self) -> torch.nn.Module:
        """The module to train, in float32 on the CPU (the engine moves and wraps it)."""

    @abstractmethod
    def load_vae(self) -> None:
        """Load the autoencoder into self.vae (frozen, on self.device)."""

    @abstractmethod
    def load_text_encoders(self) -> None:
        """Load tokenizers and text encoders (frozen, on self.device, in weight_dtype)."""

    @abstractmethod
    def unload_text_encoders(self) -> None:
        """Drop the text encoders (after caching) and free their memory; call `release_memory()` after."""

    def lora_target_modules(self) -> list[str]:
        """PEFT target modules; families with a target option (flux_lora_target) override this."""
        return list(self.lora_targets)

    # encoding (run while caching; results go to disk)

    @abstractmethod
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        """One PromptEmbeds per prompt, detached and on the CPU."""

    @abstractmethod
    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Pixels (B, 3, H, W) in [-1, 1] to latents ready for noising (scaled and shifted), on the CPU."""

    # training

    @abstractmethod
    def objective(self) -> Objective:
        """How noise is added and what the denoiser should predict (from the model's scheduler config)."""

    @abstractmethod
    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        """The denoiser's output for noisy latents, shaped like the objective's target."""

    # sampling

    @abstractmethod
    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        """A pipeline around the (possibly adapted) denoiser and the VAE, without text encoders."""

    @abstractmethod
    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        """One image sampled from cached prompt embeddings."""

    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        """A preview image from intermediate latents (the inverse of encode_images' scaling)."""
        raise NotImplementedError(f"{self.names[0]} has no latent preview")


def release_memory() -> None:
    """Return freed tensors' memory to the system (and the GPU's allocator)."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
