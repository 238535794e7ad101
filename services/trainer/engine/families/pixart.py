"""PixArt-Sigma: T5 prompts with an attention mask, the SDXL VAE, a DiT that learns sigma, DDPM epsilon prediction."""

from __future__ import annotations

from typing import Any

import torch
from diffusers.image_processor import VaeImageProcessor
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.pixart_transformer_2d import PixArtTransformer2DModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.pixart_alpha.pipeline_pixart_sigma import PixArtSigmaPipeline
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from PIL import Image

from ..objectives import DiffusionObjective, Objective
from ..run_config import RunConfig
from .base import Batch, ModelFamily, PromptEmbeds, SampleRequest, release_memory

_MAX_T5_TOKENS = 300  # PixArt-Sigma was trained on 300 T5 tokens


class PixArtSigmaFamily(ModelFamily):
    """PixArt-Sigma (PixArtSigmaPipeline)."""

    names = ("pixart_sigma",)
    pipeline_class = PixArtSigmaPipeline
    denoiser_subfolder = "transformer"
    lora_targets = ("to_k", "to_q", "to_v", "to_out.0")  # SimpleTuner's and diffusers' PixArt LoRA targets

    def __init__(self, config: RunConfig, device: torch.device, weight_dtype: torch.dtype) -> None:
        super().__init__(config, device, weight_dtype)
        self.text_pipeline: PixArtSigmaPipeline | None = None  # tokenizer + T5 only, for encode_prompt
        self.max_sequence_length = _MAX_T5_TOKENS

    # loading

    def load_denoiser(self) -> torch.nn.Module:
        model: torch.nn.Module = PixArtTransformer2DModel.from_pretrained(
            self.model_path, subfolder="transformer", dtype=torch.float32, **_revision(self.config)
        )
        return model

    def load_vae(self) -> None:
        # float32: the SDXL autoencoder overflows in float16
        vae = AutoencoderKL.from_pretrained(
            self.model_path, subfolder="vae", dtype=torch.float32, **_revision(self.config)
        )
        self.vae = vae.requires_grad_(False).eval().to(self.device)

    def load_text_encoders(self) -> None:
        # the pipeline with only its tokenizer and text encoder, so prompts are encoded by its own encode_prompt
        pipeline = PixArtSigmaPipeline.from_pretrained(
            self.model_path, transformer=None, vae=None, dtype=self.weight_dtype, **_revision(self.config)
        )
        pipeline.text_encoder.requires_grad_(False)
        self.text_pipeline = pipeline.to(self.device)
        self.max_sequence_length = min(_MAX_T5_TOKENS, int(pipeline.tokenizer.model_max_length))

    def unload_text_encoders(self) -> None:
        self.text_pipeline = None
        release_memory()

    # encoding

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        if self.text_pipeline is None:
            raise RuntimeError("call load_text_encoders() before encode_prompts()")
        embeds, mask, _, _ = self.text_pipeline.encode_prompt(
            prompts,
            do_classifier_free_guidance=False,
            device=self.device,
            clean_caption=False,  # caption cleaning needs bs4 + ftfy; captions are used as written
            max_sequence_length=self.max_sequence_length,
        )
        # clone: each cached prompt must own its storage, not a view that would save the whole batch with it
        return [
            {"prompt_embeds": embeds[i].cpu().clone(), "prompt_attention_mask": mask[i].cpu().clone()}
            for i in range(len(prompts))
        ]

    @torch.no_grad()
    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        vae = self._vae()
        latents = vae.encode(pixels.to(self.device, dtype=vae.dtype)).latent_dist.sample()
        return (latents * vae.config.scaling_factor).float().cpu()

    # training

    def objective(self) -> Objective:
        scheduler = DDPMScheduler.from_pretrained(self.model_path, subfolder="scheduler", **_revision(self.config))
        return DiffusionObjective(scheduler, self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        model = _unwrap(denoiser)
        device, dtype = noisy.device, model.dtype
        output = denoiser(
            noisy.to(dtype),
            encoder_hidden_states=batch.embeds["prompt_embeds"].to(device, dtype),
            encoder_attention_mask=batch.embeds["prompt_attention_mask"].to(device),
            timestep=timesteps.to(device),
            added_cond_kwargs={"resolution": None, "aspect_ratio": None},  # Sigma has no micro-conditioning
            return_dict=False,
        )[0]
        if model.config.out_channels == 2 * noisy.shape[1]:
            output = output.chunk(2, dim=1)[0]  # learned sigma: the second half is the variance, not trained here
        return output

    # sampling

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        pipeline: DiffusionPipeline = PixArtSigmaPipeline.from_pretrained(
            self.model_path,
            transformer=_unwrap(denoiser),
            vae=self._vae(),
            text_encoder=None,
            tokenizer=None,
            **_revision(self.config),
        )
        return pipeline

    @torch.no_grad()
    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        if not isinstance(pipeline, PixArtSigmaPipeline):
            raise TypeError(f"generate needs the pipeline from build_pipeline, not {type(pipeline).__name__}")
        dtype = pipeline.transformer.dtype
        arguments: dict[str, Any] = {
            **_pipeline_embeds(request.embeds, "", self.device, dtype),
            "negative_prompt": None,  # its default "" clashes with negative_prompt_embeds
            "width": request.width,
            "height": request.height,
            "num_inference_steps": request.num_inference_steps,
            # without cached negative embeddings there is nothing to guide against (no text encoder here)
            "guidance_scale": request.guidance if request.negative_embeds is not None else 1.0,
            "generator": request.generator,
            "use_resolution_binning": False,  # sample at the requested size, not the nearest trained aspect
            "callback_steps": 1,
        }
        if request.negative_embeds is not None:
            arguments |= _pipeline_embeds(request.negative_embeds, "negative_", self.device, dtype)
        if request.on_step is not None:
            on_step = request.on_step
            # PixArtSigmaPipeline has only the older per-step `callback`, not callback_on_step_end
            arguments["callback"] = lambda step, timestep, latents: on_step(step, int(timestep), latents)
        image: Image.Image = pipeline(**arguments).images[0]
        return image

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> Image.Image:
        vae = self._vae()
        image = vae.decode(latents[:1].to(self.device, vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
        pil: Image.Image = VaeImageProcessor().postprocess(image.float(), output_type="pil")[0]
        return pil

    def _vae(self) -> Any:
        if self.vae is None:
            raise RuntimeError("call load_vae() first")
        return self.vae


def _pipeline_embeds(embeds: PromptEmbeds, prefix: str, device: torch.device, dtype: torch.dtype) -> dict[str, Any]:
    """One cached prompt as the pipeline's (negative_)prompt_embeds and (negative_)prompt_attention_mask."""
    return {
        f"{prefix}prompt_embeds": embeds["prompt_embeds"].unsqueeze(0).to(device, dtype),
        f"{prefix}prompt_attention_mask": embeds["prompt_attention_mask"].unsqueeze(0).to(device),
    }


def _unwrap(denoiser: torch.nn.Module) -> Any:
    """The diffusers model inside training wrappers: accelerate/DDP's .module, a PeftModel's base model."""
    model: Any = getattr(denoiser, "module", denoiser)
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _revision(config: RunConfig) -> dict[str, Any]:
    revision = config.get("revision")
    return {"revision": revision} if revision else {}


FAMILY = PixArtSigmaFamily
