"""Tiny SDXL: a UNet with text-time micro-conditioning and two CLIP text encoders (the second with a projection)."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers.pipelines.stable_diffusion_xl.pipeline_stable_diffusion_xl import StableDiffusionXLPipeline
from diffusers.schedulers.scheduling_euler_discrete import EulerDiscreteScheduler

from .components import SEED, tiny_clip, tiny_clip_with_projection, tiny_vae
from .stable_diffusion import SCALED_LINEAR_BETAS, tiny_unet

CLIP_HIDDEN = 32  # both encoders; their penultimate states are concatenated into the UNet's context
TIME_EMBED_DIM = 8  # per micro-conditioning number; SDXL passes six (original size, crop, target size)


def build(folder: Path, family: str = "sdxl") -> Path:
    """Write the tiny SDXL model (epsilon prediction, Euler sampling, as SDXL base 1.0 ships)."""
    torch.manual_seed(SEED)
    tokenizer, text_encoder = tiny_clip(CLIP_HIDDEN)
    tokenizer_2, text_encoder_2 = tiny_clip_with_projection(CLIP_HIDDEN)
    unet = tiny_unet(
        cross_attention_dim=2 * CLIP_HIDDEN,
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED_DIM,
        # the pooled text embedding (text_encoder_2's projection) plus the six embedded time ids
        projection_class_embeddings_input_dim=CLIP_HIDDEN + 6 * TIME_EMBED_DIM,
    )
    scheduler = EulerDiscreteScheduler(
        **SCALED_LINEAR_BETAS, prediction_type="epsilon", timestep_spacing="leading", steps_offset=1
    )
    pipeline = StableDiffusionXLPipeline(
        vae=tiny_vae(scaling_factor=0.13025),  # SDXL's VAE scale
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=scheduler,
        add_watermarker=False,
    )
    pipeline.save_pretrained(folder)
    return folder
