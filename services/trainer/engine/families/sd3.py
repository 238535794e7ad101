"""Stable Diffusion 3: an MMDiT transformer trained by flow matching, conditioned on CLIP-L, CLIP-G and T5."""

from __future__ import annotations

from typing import Any

import torch
from diffusers.models.transformers.transformer_sd3 import SD3Transformer2DModel
from diffusers.pipelines.stable_diffusion_3.pipeline_stable_diffusion_3 import StableDiffusion3Pipeline
from transformers import CLIPTextModelWithProjection, CLIPTokenizer, PreTrainedModel, T5EncoderModel, T5Tokenizer

from ..objectives import FlowMatchingObjective
from .base import Batch, PromptEmbeds
from .common import frozen, split_prompts
from .text_encoders import TextEncodersFamily, clip_forward, like

TEXT_COMPONENTS = ("tokenizer", "tokenizer_2", "tokenizer_3", "text_encoder", "text_encoder_2", "text_encoder_3")


class StableDiffusion3Family(TextEncodersFamily):
    """Prompt embeds: both CLIPs' penultimate states side by side, zero-padded to T5's width, then T5's tokens
    after them (77 + 77 tokens); pooled embeds: both CLIPs' projections side by side."""

    names = ("sd3",)
    pipeline_class = StableDiffusion3Pipeline
    denoiser_subfolder = "transformer"
    denoiser_class = SD3Transformer2DModel
    # the joint blocks' image-stream and text-stream attention projections (the diffusers SD3 LoRA example's)
    lora_targets = ("to_k", "to_q", "to_v", "to_out.0", "add_k_proj", "add_q_proj", "add_v_proj", "to_add_out")
    # T5 tokens per prompt: the diffusers SD3 training examples' default, not the pipeline's 256 (embeds are cached)
    t5_max_length = 77

    def load_text_encoders(self) -> None:
        path, revision, dtype = self.model_path, self.revision, self.weight_dtype
        self.tokenizers = [
            CLIPTokenizer.from_pretrained(path, subfolder="tokenizer", revision=revision),
            CLIPTokenizer.from_pretrained(path, subfolder="tokenizer_2", revision=revision),
            T5Tokenizer.from_pretrained(path, subfolder="tokenizer_3", revision=revision),
        ]
        encoders: list[PreTrainedModel] = [
            CLIPTextModelWithProjection.from_pretrained(path, subfolder="text_encoder", revision=revision, dtype=dtype),
            CLIPTextModelWithProjection.from_pretrained(
                path, subfolder="text_encoder_2", revision=revision, dtype=dtype
            ),
            T5EncoderModel.from_pretrained(path, subfolder="text_encoder_3", revision=revision, dtype=dtype),
        ]
        self.text_encoders = [frozen(encoder, self.device) for encoder in encoders]

    @torch.no_grad()
    def encode_prompts(self, prompts: list[str]) -> list[PromptEmbeds]:
        clip_states, pooled = [], []
        for tokenizer, encoder in zip(self.tokenizers[:2], self.text_encoders[:2], strict=True):
            text_embeds, hidden_states = clip_forward(tokenizer, encoder, prompts, self.device)
            clip_states.append(hidden_states[-2])
            pooled.append(text_embeds)
        t5_states = self._t5(prompts)
        clip = torch.cat(clip_states, dim=-1)
        clip = torch.nn.functional.pad(clip, (0, t5_states.shape[-1] - clip.shape[-1]))
        prompt_embeds = torch.cat([clip, t5_states], dim=-2)
        return split_prompts({"prompt_embeds": prompt_embeds, "pooled_prompt_embeds": torch.cat(pooled, dim=-1)})

    def _t5(self, prompts: list[str]) -> torch.Tensor:
        # no attention mask, and padding tokens kept, exactly as StableDiffusion3Pipeline encodes a prompt
        tokens = self.tokenizers[2](
            prompts, padding="max_length", max_length=self.t5_max_length, truncation=True, return_tensors="pt"
        )
        states: torch.Tensor = self.text_encoders[2](tokens.input_ids.to(self.device))[0]
        return states

    def objective(self) -> FlowMatchingObjective:
        return FlowMatchingObjective(self.config)

    def predict(
        self, denoiser: torch.nn.Module, noisy: torch.Tensor, timesteps: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        output: torch.Tensor = denoiser(
            hidden_states=noisy,
            timestep=timesteps,
            encoder_hidden_states=like(noisy, batch.embeds["prompt_embeds"]),
            pooled_projections=like(noisy, batch.embeds["pooled_prompt_embeds"]),
            return_dict=False,
        )[0]
        return output

    def pipeline_overrides(self) -> dict[str, Any]:
        """No tokenizers or text encoders: prompts arrive as cached embeddings."""
        return dict.fromkeys(TEXT_COMPONENTS)


FAMILY = StableDiffusion3Family
