"""SDXL: the SD UNet recipe with two CLIP text encoders, a pooled text embedding and size/crop micro-conditioning."""

from __future__ import annotations

from typing import Any

import torch
from diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl import StableDiffusionXLPipeline
from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from .base import Batch, PromptEmbeds
from .common import frozen, split_prompts
from .stable_diffusion import StableDiffusionFamily
from .text_encoders import clip_forward, like


class StableDiffusionXLFamily(StableDiffusionFamily):
    """Prompt embeds are both encoders' penultimate states side by side; pooled embeds are the second's projection."""

    names = ("sdxl",)
    pipeline_class = StableDiffusionXLPipeline

    def vae_dtype(self) -> torch.dtype:
        # SDXL's own VAE overflows to NaN in float16 (as the diffusers SDXL examples note); a replacement such as
        # the fp16-fix VAE is trusted with the weight dtype
        if self.weight_dtype == torch.float16 and not self.config["pretrained_vae_model_name_or_path"]:
            return torch.float32
        return self.weight_dtype

    def pipeline_overrides(self) -> dict[str, Any]:
        # no invisible watermark on validation images even where the invisible-watermark package is installed
        return {
            **dict.fromkeys(("tokenizer", "tokenizer_2", "text_encoder", "text_encoder_2")),
            "add_watermarker": False,
        }

    def load_text_encoders(self) -> None:
        path, revision, dtype = self.model_path, self.revision, self.weight_dtype
        self.tokenizers = [
            CLIPTokenizer.from_pretrained(path, subfolder=subfolder, revision=revision)
            for subfolder in ("tokenizer", "tokenizer_2")
        ]
        first = CLIPTextModel.from_pretrained(path, subfolder="text_encoder", revision=revision, dtype=dtype)
        second = CLIPTextModelWithProjection.from_pretrained(
            path, subfolder="text_encoder_2", revision=revision, dtype=dtype
        )
        self.text_encoders = [frozen(first, self.device), frozen(second, self.device)]

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        # the penultimate layer by default, as SDXL was trained; clip_skip goes further back
        layer = -(int(self.config["clip_skip"] or 0) + 2)
        states = []
        pooled = torch.empty(0)
        for tokenizer, encoder in zip(self.tokenizers, self.text_encoders, strict=True):
            first, hidden_states = clip_forward(tokenizer, encoder, prompts, self.device)
            states.append(hidden_states[layer])
            pooled = first  # text_encoder_2 comes last: its first output is the projected text_embeds
        return split_prompts({"prompt_embeds": torch.cat(states, dim=-1), "pooled_prompt_embeds": pooled})

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        # add_time_ids per sample: original (h, w), crop (top, left), target (h, w), as the SDXL examples build them
        time_ids = torch.cat([batch.original_sizes, batch.crop_coords, batch.target_sizes], dim=1)
        added_cond_kwargs = {
            "text_embeds": like(noisy, batch.embeds["pooled_prompt_embeds"]),
            "time_ids": like(noisy, time_ids),
        }
        prompt_embeds = like(noisy, batch.embeds["prompt_embeds"])
        output: torch.Tensor = denoiser(
            noisy, timesteps, prompt_embeds, added_cond_kwargs=added_cond_kwargs, return_dict=False
        )[0]
        return output


FAMILY = StableDiffusionXLFamily
