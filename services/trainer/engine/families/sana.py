"""Sana: Gemma2 prompts with an attention mask, the DC-AE autoencoder, a linear-attention DiT, flow matching."""

from __future__ import annotations

import torch
from diffusers.models.autoencoders.autoencoder_dc import AutoencoderDC
from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.sana.pipeline_sana import SanaPipeline
from PIL import Image

from ..objectives import FlowMatchingObjective, Objective
from .base import Batch, PromptEmbeds, SampleRequest
from .common import scale_latents, split_prompts, step_callback
from .text_pipeline import TextPipelineFamily, masked_prompt_arguments, unwrap


class SanaFamily(TextPipelineFamily[SanaPipeline]):
    """Sana 1.0 / 1.5 (SanaPipeline)."""

    names = ("sana",)
    pipeline_class = SanaPipeline
    denoiser_class = SanaTransformer2DModel
    vae_class = AutoencoderDC
    lora_targets = ("to_k", "to_q", "to_v", "to_out.0")  # SimpleTuner's and diffusers' Sana LoRA targets
    max_prompt_tokens = 300  # Sana's pipelines and training use 300 Gemma tokens

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        embeds, mask, _, _ = self.loaded_text_pipeline().encode_prompt(
            prompts,
            do_classifier_free_guidance=False,
            device=self.device,
            clean_caption=False,
            max_sequence_length=self.max_sequence_length,
            # the captions alone, as diffusers' Sana LoRA example trains (the pipeline's chat preamble is off)
            complex_human_instruction=None,
        )
        return split_prompts({"prompt_embeds": embeds, "prompt_attention_mask": mask})

    @torch.no_grad()
    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        vae = self.loaded_vae()
        return scale_latents(vae, vae.encode(pixels.to(vae.device, vae.dtype)).latent)  # DC-AE: no posterior

    def objective(self) -> Objective:
        return FlowMatchingObjective(self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        model = unwrap(denoiser)
        device, dtype = noisy.device, model.dtype
        output: torch.Tensor = denoiser(
            noisy.to(dtype),
            encoder_hidden_states=batch.embeds["prompt_embeds"].to(device, dtype),
            encoder_attention_mask=batch.embeds["prompt_attention_mask"].to(device),
            timestep=timesteps.to(device) * model.config.timestep_scale,  # as SanaPipeline scales it
            return_dict=False,
        )[0]
        return output

    @torch.no_grad()
    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        if not isinstance(pipeline, SanaPipeline):
            raise TypeError(f"generate needs the pipeline from build_pipeline, not {type(pipeline).__name__}")
        arguments = masked_prompt_arguments(request, self.device, pipeline.transformer.dtype)
        image: Image.Image = pipeline(**arguments, callback_on_step_end=step_callback(request)).images[0]
        return image


FAMILY = SanaFamily
