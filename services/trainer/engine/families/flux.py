"""Flux.1 (dev, schnell, Kontext): CLIP + T5 prompts, 16-channel VAE, an MMDiT on 2x2-packed latents, flow matching."""

from __future__ import annotations

from typing import Any

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from diffusers.pipelines.flux.pipeline_flux_kontext import FluxKontextPipeline
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from PIL import Image

from ..objectives import FlowMatchingObjective, Objective
from ..run_config import RunConfig
from .base import Batch, PromptEmbeds, SampleRequest
from .common import encode_latents, split_prompts, step_callback
from .text_pipeline import TextPipelineFamily, unwrap

_IMAGE_ATTENTION = ("to_k", "to_q", "to_v", "to_out.0")
_TEXT_ATTENTION = ("add_k_proj", "add_q_proj", "add_v_proj", "to_add_out")
_ALL_ATTENTION = ("to_k", "to_q", "to_v", "add_k_proj", "add_q_proj", "add_v_proj", "to_out.0", "to_add_out")
_IMAGE_FF = ("ff.net.0.proj", "ff.net.2")
_TEXT_FF = ("ff_context.net.0.proj", "ff_context.net.2")
_SINGLE_BLOCK_MLP = ("proj_mlp", "proj_out")

# flux_lora_target -> PEFT target modules: SimpleTuner's presets, so adapters stay interchangeable with its LoRAs.
LORA_TARGETS: dict[str, tuple[str, ...]] = {
    "mmdit": _IMAGE_ATTENTION,  # the text-stream projections stay frozen
    "context": _TEXT_ATTENTION,
    "context+ffs": _TEXT_ATTENTION + _TEXT_FF,
    "all": _ALL_ATTENTION,
    "all+ffs": _ALL_ATTENTION + _IMAGE_FF + _TEXT_FF + _SINGLE_BLOCK_MLP,
    # ostris' ai-toolkit layout, to continue training one of its LoRAs
    "ai-toolkit": _ALL_ATTENTION
    + _IMAGE_FF
    + _TEXT_FF
    + ("norm.linear", "norm1.linear", "norm1_context.linear")
    + _SINGLE_BLOCK_MLP,
    # TheLastBen's very small adapters: two (or one) single-stream output projections of the 38 in FLUX.1
    "tiny": ("single_transformer_blocks.7.proj_out", "single_transformer_blocks.20.proj_out"),
    "nano": ("single_transformer_blocks.7.proj_out",),
}

_FLAVOUR_T5_TOKENS = {"schnell": 256}  # schnell was distilled with 256 T5 tokens
# flux_guidance_mode=random-range draws from SimpleTuner's default range (the catalogue has no min/max options).
_RANDOM_GUIDANCE_RANGE = (0.0, 4.0)


class FluxFamily(TextPipelineFamily[FluxPipeline]):
    """FLUX.1 and its Kontext edit flavour (model_flavour=kontext: a reference image conditions every step)."""

    names = ("flux",)
    pipeline_class = FluxPipeline
    denoiser_class = FluxTransformer2DModel
    vae_class = AutoencoderKL
    lora_targets = LORA_TARGETS["all"]
    max_prompt_tokens = 512  # T5 tokens: Flux's pipelines allow 512
    sequence_tokenizer = "tokenizer_2"  # T5's: CLIP's 77 tokens are fixed
    text_components = ("text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2")

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        super().__init__(config, device, weight_dtype)
        self.flavour = str(config.get("model_flavour") or "")
        self.max_sequence_length = _FLAVOUR_T5_TOKENS.get(self.flavour, self.max_prompt_tokens)

    @property
    def kontext(self) -> bool:
        return self.flavour == "kontext"

    def vae_dtype(self) -> torch.dtype:
        # the 16-channel autoencoder is stable in bf16, so it shares the weight dtype (half the memory of fp32)
        return self.weight_dtype

    def lora_target_modules(self) -> list[str]:
        target = str(self.config.get("flux_lora_target") or "all")
        if target not in LORA_TARGETS:
            raise ValueError(f"flux_lora_target {target!r} is not one of {', '.join(LORA_TARGETS)}")
        return list(LORA_TARGETS[target])

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        embeds, pooled, _ = self.loaded_text_pipeline().encode_prompt(
            prompt=prompts, prompt_2=prompts, device=self.device, max_sequence_length=self.max_sequence_length
        )
        return split_prompts({"prompt_embeds": embeds, "pooled_prompt_embeds": pooled})

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return encode_latents(self.loaded_vae(), pixels, sample=True)

    def objective(self) -> Objective:
        return FlowMatchingObjective(self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        model = unwrap(denoiser)
        device, dtype = noisy.device, model.dtype
        height, width = noisy.shape[-2:]
        hidden, ids = pack_latents(noisy), image_ids(height, width, device)
        if batch.conditioning_latents is not None:
            # Kontext: the clean reference tokens follow the noisy target tokens, told apart by id[0] = 1
            reference = batch.conditioning_latents.to(device)
            reference_ids = image_ids(reference.shape[-2], reference.shape[-1], device)
            reference_ids[:, 0] = 1
            hidden = torch.cat([hidden, pack_latents(reference)], dim=1)
            ids = torch.cat([ids, reference_ids], dim=0)
        embeds = batch.embeds["prompt_embeds"].to(device, dtype)
        output = denoiser(
            hidden_states=hidden.to(dtype),
            timestep=(timesteps / 1000).to(device, dtype),  # the transformer multiplies by 1000 again
            guidance=self._guidance(noisy.shape[0], device) if model.config.guidance_embeds else None,
            pooled_projections=batch.embeds["pooled_prompt_embeds"].to(device, dtype),
            encoder_hidden_states=embeds,
            txt_ids=torch.zeros(embeds.shape[1], 3, device=device, dtype=dtype),
            img_ids=ids.to(dtype),
            return_dict=False,
        )[0]
        target_tokens = (height // 2) * (width // 2)
        return unpack_latents(output[:, :target_tokens], height, width)

    def _guidance(self, count: int, device: torch.device) -> torch.Tensor:
        """The guidance embedding's input per sample (random-range draws from torch's RNG: predict has no generator)."""
        if self.config.get("flux_guidance_mode") == "random-range":
            low = float(self.config.get("flux_guidance_min", _RANDOM_GUIDANCE_RANGE[0]))
            high = float(self.config.get("flux_guidance_max", _RANDOM_GUIDANCE_RANGE[1]))
            return torch.empty(count, device=device).uniform_(low, high)
        return torch.full((count,), float(self.config["flux_guidance_value"]), device=device)

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        return self.sampling_pipeline(FluxKontextPipeline if self.kontext else FluxPipeline, denoiser)

    @torch.no_grad()
    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        if not isinstance(pipeline, FluxPipeline | FluxKontextPipeline):
            raise TypeError(f"generate needs the pipeline from build_pipeline, not {type(pipeline).__name__}")
        dtype = pipeline.transformer.dtype
        arguments: dict[str, Any] = {
            "prompt_embeds": request.embeds["prompt_embeds"].unsqueeze(0).to(self.device, dtype),
            "pooled_prompt_embeds": request.embeds["pooled_prompt_embeds"].unsqueeze(0).to(self.device, dtype),
            "width": request.width,
            "height": request.height,
            "num_inference_steps": request.num_inference_steps,
            "guidance_scale": request.guidance,  # the distilled guidance embedding (ignored by schnell)
            "generator": request.generator,
            # on_step gets each step's latents unpacked to encode_images' layout, so decode_latents can preview them
            "callback_on_step_end": step_callback(request, lambda packed: self._unpack_sampled(packed, request)),
            # decode here, not in the pipeline: it would feed transformer-dtype latents to the VAE uncast
            "output_type": "latent",
        }
        arguments |= self._true_cfg(request, dtype)
        if self.kontext:
            # max_area = the request's size keeps it (the pipeline rescales to ~1 MP by default)
            arguments |= {
                "image": request.conditioning_image,
                "max_area": request.width * request.height,
                "_auto_resize": False,
            }
        packed = pipeline(**arguments).images
        return self.decode_latents(self._unpack_sampled(packed, request))

    def _true_cfg(self, request: SampleRequest, dtype: torch.dtype) -> dict[str, Any]:
        """Real classifier-free guidance (validation_guidance_real > 1) for de-distilled models."""
        scale = float(self.config.get("validation_guidance_real") or 1.0)
        if request.negative_embeds is None or scale <= 1.0:
            return {}
        negative = request.negative_embeds
        return {
            "negative_prompt_embeds": negative["prompt_embeds"].unsqueeze(0).to(self.device, dtype),
            "negative_pooled_prompt_embeds": negative["pooled_prompt_embeds"].unsqueeze(0).to(self.device, dtype),
            "true_cfg_scale": scale,
        }

    def _unpack_sampled(self, packed: torch.Tensor, request: SampleRequest) -> torch.Tensor:
        # the pipelines' latent grid: pixels / VAE factor, rounded down to whole 2x2 patches
        patch = 2 * self._vae_scale_factor()
        return unpack_latents(packed, 2 * (request.height // patch), 2 * (request.width // patch))

    def _vae_scale_factor(self) -> int:
        return int(2 ** (len(self.loaded_vae().config.block_out_channels) - 1))


def pack_latents(latents: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) latents to (B, h/2 * w/2, 4C) tokens of 2x2 patches, as FluxPipeline._pack_latents."""
    b, c, h, w = latents.shape
    patches = latents.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(b, (h // 2) * (w // 2), c * 4)


def unpack_latents(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The inverse of pack_latents for an h x w latent grid (FluxPipeline._unpack_latents in latent units)."""
    b, _, channels = tokens.shape
    patches = tokens.view(b, height // 2, width // 2, channels // 4, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return patches.reshape(b, channels // 4, height, width)


def image_ids(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(h/2 * w/2, 3) positions of the packed tokens: (0, row, column), as FluxPipeline._prepare_latent_image_ids."""
    ids = torch.zeros(height // 2, width // 2, 3, device=device)
    ids[..., 1] = torch.arange(height // 2, device=device)[:, None]
    ids[..., 2] = torch.arange(width // 2, device=device)[None, :]
    return ids.reshape(-1, 3)


FAMILY = FluxFamily
