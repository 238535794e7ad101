"""PixArt-Sigma: T5 prompts with an attention mask, the SDXL VAE, a DiT that learns sigma, DDPM epsilon prediction."""

from __future__ import annotations

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.pixart_transformer_2d import PixArtTransformer2DModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.pixart_alpha.pipeline_pixart_sigma import PixArtSigmaPipeline
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from PIL import Image

from ..objectives import DiffusionObjective, Objective
from .base import Batch, PromptEmbeds, SampleRequest
from .common import encode_latents, split_prompts
from .text_pipeline import TextPipelineFamily, masked_prompt_arguments, revision_kwargs, unwrap


class PixArtSigmaFamily(TextPipelineFamily[PixArtSigmaPipeline]):
    """PixArt-Sigma (PixArtSigmaPipeline)."""

    names = ("pixart_sigma",)
    pipeline_class = PixArtSigmaPipeline
    denoiser_class = PixArtTransformer2DModel
    vae_class = AutoencoderKL  # in float32 (the default): the SDXL autoencoder overflows in float16
    lora_targets = ("to_k", "to_q", "to_v", "to_out.0")  # SimpleTuner's and diffusers' PixArt LoRA targets
    max_prompt_tokens = 300  # PixArt-Sigma was trained on 300 T5 tokens

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        embeds, mask, _, _ = self.loaded_text_pipeline().encode_prompt(
            prompts,
            do_classifier_free_guidance=False,
            device=self.device,
            clean_caption=False,  # caption cleaning needs bs4 + ftfy; captions are used as written
            max_sequence_length=self.max_sequence_length,
        )
        return split_prompts({"prompt_embeds": embeds, "prompt_attention_mask": mask})

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        return encode_latents(self.loaded_vae(), pixels, sample=True)

    def objective(self) -> Objective:
        scheduler = DDPMScheduler.from_pretrained(
            self.model_path, subfolder="scheduler", **revision_kwargs(self.config)
        )
        return DiffusionObjective(scheduler, self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        model = unwrap(denoiser)
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

    @torch.no_grad()
    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        if not isinstance(pipeline, PixArtSigmaPipeline):
            raise TypeError(f"generate needs the pipeline from build_pipeline, not {type(pipeline).__name__}")
        arguments = masked_prompt_arguments(request, self.device, pipeline.transformer.dtype)
        if request.on_step is not None:
            on_step = request.on_step
            # PixArtSigmaPipeline has only the older per-step `callback`, not callback_on_step_end
            arguments["callback"] = lambda step, timestep, latents: on_step(step, int(timestep), latents)
        image: Image.Image = pipeline(**arguments, callback_steps=1).images[0]
        return image


FAMILY = PixArtSigmaFamily
