"""Families whose own diffusers pipeline encodes their prompts (Flux, PixArt-Sigma, Sana), and their helpers."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, cast

import torch
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from PIL import Image

from ..run_config import RunConfig
from .base import ModelFamily, PromptEmbeds, SampleRequest, release_memory
from .common import decode_preview, frozen

PipelineT = TypeVar("PipelineT", bound=DiffusionPipeline)


class TextPipelineFamily(ModelFamily, Generic[PipelineT]):
    """Encodes prompts with its pipeline's own encode_prompt, on a copy of the pipeline that holds only the tokenizers
    and text encoders while caching; the transformer and the VAE load from their subfolders at the run's revision."""

    denoiser_subfolder = "transformer"
    denoiser_class: ClassVar[type[torch.nn.Module]]
    vae_class: ClassVar[type[torch.nn.Module]]
    max_prompt_tokens: ClassVar[int]  # prompts are padded or cut to these, or to fewer where the tokenizer says so
    sequence_tokenizer: ClassVar[str] = "tokenizer"  # the pipeline's tokenizer that pads to max_sequence_length
    # what sampling pipelines leave out: prompts arrive as cached embeddings
    text_components: ClassVar[tuple[str, ...]] = ("text_encoder", "tokenizer")

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        super().__init__(config, device, weight_dtype)
        self.text_pipeline: PipelineT | None = None
        self.max_sequence_length = self.max_prompt_tokens

    # loading

    def load_denoiser(self) -> torch.nn.Module:
        return self._load(self.denoiser_class, "transformer", torch.float32)

    def load_vae(self) -> None:
        self.vae = frozen(self._load(self.vae_class, "vae", self.vae_dtype()), self.device)

    def vae_dtype(self) -> torch.dtype:
        """float32 unless a family says otherwise: the VAE runs once per image (latents are cached) and for
        previews, so full precision costs little (and PixArt's SDXL autoencoder overflows in float16)."""
        return torch.float32

    def load_text_encoders(self) -> None:
        pipeline = self.pipeline_class.from_pretrained(
            self.model_path, transformer=None, vae=None, dtype=self.weight_dtype, **revision_kwargs(self.config)
        )
        for component in pipeline.components.values():
            if isinstance(component, torch.nn.Module):  # the text encoders: transformer and VAE were left out
                component.requires_grad_(False)
        self.text_pipeline = cast(PipelineT, pipeline.to(self.device))
        tokenizer = getattr(pipeline, self.sequence_tokenizer)
        self.max_sequence_length = min(self.max_sequence_length, int(tokenizer.model_max_length))

    def unload_text_encoders(self) -> None:
        self.text_pipeline = None
        release_memory()

    def loaded_text_pipeline(self) -> PipelineT:
        """The text-only pipeline, or an error that says to load it first."""
        if self.text_pipeline is None:
            raise RuntimeError("call load_text_encoders() before encode_prompts()")
        return self.text_pipeline

    def loaded_vae(self) -> Any:
        """The VAE, or an error that says to load it first."""
        if self.vae is None:
            raise RuntimeError("call load_vae() first")
        return self.vae

    def _load(self, model_class: type[torch.nn.Module], subfolder: str, dtype: torch.dtype) -> torch.nn.Module:
        load: Any = model_class  # diffusers' from_pretrained is untyped
        model: torch.nn.Module = load.from_pretrained(
            self.model_path, subfolder=subfolder, dtype=dtype, **revision_kwargs(self.config)
        )
        return model

    # sampling

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        return self.sampling_pipeline(self.pipeline_class, denoiser)

    def sampling_pipeline(
        self, pipeline_class: type[DiffusionPipeline], denoiser: torch.nn.Module
    ) -> DiffusionPipeline:
        """A pipeline_class around the (unwrapped) denoiser and the loaded VAE, without the text components."""
        pipeline: DiffusionPipeline = pipeline_class.from_pretrained(
            self.model_path,
            transformer=unwrap(denoiser),
            vae=self.loaded_vae(),
            **dict.fromkeys(self.text_components),
            **revision_kwargs(self.config),
        )
        return pipeline

    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        return decode_preview(self.loaded_vae(), latents)


def revision_kwargs(config: RunConfig) -> dict[str, Any]:
    """from_pretrained's revision argument where the run names one, else none (the Hub's default branch)."""
    revision = config.get("revision")
    return {"revision": revision} if revision else {}


def unwrap(denoiser: torch.nn.Module) -> Any:
    """The diffusers model inside training wrappers: accelerate/DDP's .module, a PeftModel's base model."""
    model: Any = getattr(denoiser, "module", denoiser)
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def masked_prompt_arguments(request: SampleRequest, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    """The sampling arguments PixArt-Sigma's and Sana's pipelines share: cached prompts with their attention masks,
    no resolution binning, and guidance only where a negative prompt was cached."""
    arguments: dict[str, Any] = {
        **_masked_prompt(request.embeds, "", device, dtype),
        "negative_prompt": None,  # its default "" clashes with negative_prompt_embeds
        "width": request.width,
        "height": request.height,
        "num_inference_steps": request.num_inference_steps,
        # without cached negative embeddings there is nothing to guide against (no text encoder here)
        "guidance_scale": request.guidance if request.negative_embeds is not None else 1.0,
        "generator": request.generator,
        "use_resolution_binning": False,  # sample at the requested size, not the nearest trained aspect
    }
    if request.negative_embeds is not None:
        arguments |= _masked_prompt(request.negative_embeds, "negative_", device, dtype)
    return arguments


def _masked_prompt(embeds: PromptEmbeds, prefix: str, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    """One cached prompt as the pipeline's (negative_)prompt_embeds and (negative_)prompt_attention_mask."""
    return {
        f"{prefix}prompt_embeds": embeds["prompt_embeds"].unsqueeze(0).to(device, dtype),
        f"{prefix}prompt_attention_mask": embeds["prompt_attention_mask"].unsqueeze(0).to(device),
    }
