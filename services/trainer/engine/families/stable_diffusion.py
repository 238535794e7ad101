"""Stable Diffusion 1.x and 2.x: a UNet over 4-channel VAE latents, conditioned on one CLIP text encoder."""

from __future__ import annotations

from typing import Any, ClassVar, cast

import torch

# diffusers' defining modules, not its lazy top level: mypy resolves `from diffusers import X` to the dummy objects
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from PIL import Image
from transformers import CLIPTextModel, CLIPTokenizer

from ..objectives import DiffusionObjective
from .base import Batch, PromptEmbeds, SampleRequest
from .common import frozen, split_prompts
from .text_encoders import TextEncodersFamily, clip_forward, like, sample

UNET_LORA_TARGETS = ("to_k", "to_q", "to_v", "to_out.0")


class StableDiffusionFamily(TextEncodersFamily):
    """SD 1.x/2.x; epsilon or v-prediction, whichever the model folder's scheduler config says."""

    names: ClassVar[tuple[str, ...]] = ("sd1x", "sd2x")
    pipeline_class: ClassVar[type[DiffusionPipeline]] = StableDiffusionPipeline
    denoiser_subfolder = "unet"
    denoiser_class = UNet2DConditionModel
    lora_targets = UNET_LORA_TARGETS

    def load_text_encoders(self) -> None:
        self.tokenizers = [
            CLIPTokenizer.from_pretrained(self.model_path, subfolder="tokenizer", revision=self.revision)
        ]
        encoder = CLIPTextModel.from_pretrained(
            self.model_path, subfolder="text_encoder", revision=self.revision, dtype=self.weight_dtype
        )
        self.text_encoders = [frozen(encoder, self.device)]

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        encoder = cast(CLIPTextModel, self.text_encoders[0])
        last, hidden_states = clip_forward(self.tokenizers[0], encoder, prompts, self.device)
        skip = int(self.config["clip_skip"] or 0)
        if skip:
            # as the SD pipeline does: an earlier layer, through the final layer norm the last one gets
            # (transformers 5 flattened CLIPTextModel: the norm is on the model itself, no longer on .text_model)
            last = encoder.final_layer_norm(hidden_states[-(skip + 1)])
        return split_prompts({"prompt_embeds": last})

    def objective(self) -> DiffusionObjective:
        scheduler = DDPMScheduler.from_pretrained(
            self.model_path,
            subfolder="scheduler",
            revision=self.revision,
            rescale_betas_zero_snr=bool(self.config["rescale_betas_zero_snr"]),
            timestep_spacing=str(self.config["training_scheduler_timestep_spacing"]),
        )
        # from_pretrained returns a (scheduler, unused kwargs) tuple only when asked to with return_unused_kwargs
        return DiffusionObjective(cast(DDPMScheduler, scheduler), self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        prompt_embeds = like(noisy, batch.embeds["prompt_embeds"])
        output: torch.Tensor = denoiser(noisy, timesteps, prompt_embeds, return_dict=False)[0]
        return output

    def build_pipeline(self, denoiser: torch.nn.Module) -> DiffusionPipeline:
        pipeline = super().build_pipeline(denoiser)
        if self.config["rescale_betas_zero_snr"]:
            # a zero-terminal-SNR model must sample from pure noise: trailing spacing over the rescaled schedule
            pipeline.scheduler = DDIMScheduler.from_config(
                pipeline.scheduler.config, rescale_betas_zero_snr=True, timestep_spacing="trailing"
            )
        return pipeline

    def pipeline_overrides(self) -> dict[str, Any]:
        """Components build_pipeline leaves out: prompts arrive as cached embeddings, and no safety checker."""
        return dict.fromkeys(("tokenizer", "text_encoder", "safety_checker", "feature_extractor"))

    def generate(self, pipeline: DiffusionPipeline, request: SampleRequest) -> Image.Image:
        rescale = float(self.config["validation_guidance_rescale"] or 0.0)
        return sample(self, pipeline, request, guidance_rescale=rescale)


FAMILY = StableDiffusionFamily
