"""Families that load and call their own tokenizers and text encoders (SD 1.x/2.x, SDXL, SD3), and their helpers."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.modeling_utils import ModelMixin
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from PIL import Image
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..run_config import RunConfig
from .base import ModelFamily, SampleRequest, release_memory
from .common import decode_preview, encode_latents, frozen, step_callback


class TextEncodersFamily(ModelFamily):
    """Keeps its tokenizers and text encoders in lists while caching; loads the denoiser, the VAE (or the one that
    replaces it) and the sampling pipeline at the run's revision.

    Its prompt embeddings are named as the pipeline's arguments, so sampling hands them over as they are (sample).
    """

    denoiser_class: ClassVar[type[ModelMixin]]

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        super().__init__(config, device, weight_dtype)
        self.revision: str = config["revision"] or "main"  # the Hub default; local folders ignore it
        self.tokenizers: list[PreTrainedTokenizerBase] = []
        self.text_encoders: list[PreTrainedModel] = []

    def load_denoiser(self) -> torch.nn.Module:
        denoiser: torch.nn.Module = self.denoiser_class.from_pretrained(
            self.model_path, subfolder=self.denoiser_subfolder, revision=self.revision, torch_dtype=torch.float32
        )
        return denoiser

    def load_vae(self) -> None:
        self.vae = load_frozen_vae(self.config, self.device, self.vae_dtype())

    def vae_dtype(self) -> torch.dtype:
        """The VAE's dtype: the weight dtype unless the family's own VAE cannot run in it."""
        return self.weight_dtype

    def unload_text_encoders(self) -> None:
        self.tokenizers, self.text_encoders = [], []
        release_memory()

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return encode_latents(self.vae, pixels)

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        pipeline = self.pipeline_class.from_pretrained(
            self.model_path,
            revision=self.revision,
            vae=self.vae,
            **{self.denoiser_subfolder: denoiser},
            **self.pipeline_overrides(),
        )
        pipeline.set_progress_bar_config(disable=True)
        return pipeline

    @abstractmethod
    def pipeline_overrides(self) -> dict[str, Any]:
        """Components build_pipeline leaves out (None) or sets: prompts arrive as cached embeddings."""

    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        return sample(self, pipeline, request)

    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        return decode_preview(self.vae, latents)


def load_frozen_vae(config: RunConfig, device: torch.device, dtype: torch.dtype) -> AutoencoderKL:
    """The model folder's VAE, or the one pretrained_vae_model_name_or_path names instead (a whole repo)."""
    replacement = config["pretrained_vae_model_name_or_path"]
    if replacement:
        vae = AutoencoderKL.from_pretrained(str(replacement), torch_dtype=dtype)
    else:
        path = str(config["pretrained_model_name_or_path"])
        vae = AutoencoderKL.from_pretrained(
            path, subfolder="vae", revision=config["revision"] or "main", torch_dtype=dtype
        )
    return frozen(vae, device)


def clip_forward(
    tokenizer: PreTrainedTokenizerBase, encoder: PreTrainedModel, prompts: list[str], device: torch.device
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """A CLIP encoder's first output (last hidden state, or text_embeds with a projection) and all hidden states,
    for prompts padded to the tokenizer's 77 tokens as the pipelines pad them."""
    tokens = tokenizer(
        prompts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
    )
    output = encoder(tokens.input_ids.to(device), output_hidden_states=True)
    return output[0], output.hidden_states


def like(reference: torch.Tensor, tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` on the reference's device and in its dtype (cached embeddings arrive on the CPU in float32)."""
    return tensor.to(device=reference.device, dtype=reference.dtype)


def sample(family: ModelFamily, pipeline: DiffusionPipeline, request: SampleRequest, **options: Any) -> Image.Image:
    """One image from cached embeddings: each key of the request's embeds is also the pipeline's argument name."""
    denoiser: torch.nn.Module = getattr(pipeline, family.denoiser_subfolder)
    # the pipelines take given embeddings as they are (SD3 does not even cast them): match the denoiser
    weight = next(denoiser.parameters())
    kwargs: dict[str, Any] = {}
    for key, value in request.embeds.items():
        # without a negative prompt the unconditional branch gets zeros (SDXL's force_zeros_for_empty_prompt);
        # there are no text encoders here to encode "" with
        negative = request.negative_embeds[key] if request.negative_embeds else torch.zeros_like(value)
        kwargs[key] = like(weight, value.unsqueeze(0))
        kwargs[f"negative_{key}"] = like(weight, negative.unsqueeze(0))
    call: Any = pipeline  # each pipeline class defines its own __call__
    result = call(
        **kwargs,
        **options,
        width=request.width,
        height=request.height,
        num_inference_steps=request.num_inference_steps,
        guidance_scale=request.guidance,
        generator=request.generator,
        callback_on_step_end=step_callback(request),
        # decoded here rather than by the pipeline, which would hand half-precision latents to a float32 VAE (SDXL)
        output_type="latent",
    )
    return decode_preview(family.vae, result.images)
