"""Tiny SD3: an MMDiT transformer over 16-channel latents with CLIP-L, CLIP-G (both projected) and T5 text encoders."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers.models.transformers.transformer_sd3 import SD3Transformer2DModel
from diffusers.pipelines.stable_diffusion_3.pipeline_stable_diffusion_3 import StableDiffusion3Pipeline
from diffusers.schedulers.scheduling_flow_match_euler_discrete import FlowMatchEulerDiscreteScheduler

from .components import SEED, tiny_clip_with_projection, tiny_t5, tiny_vae

# Unequal widths on purpose, as in the real model (768, 1280, 4096): the CLIP states are concatenated (48) and
# zero-padded to T5's width (64), so a mix-up of those steps changes shapes instead of passing silently.
CLIP_L_HIDDEN = 16
CLIP_G_HIDDEN = 32
T5_WIDTH = 64


def tiny_transformer() -> SD3Transformer2DModel:
    """Two joint blocks, 4 heads of 8; positions for up to 32×32 patches (512 px images)."""
    return SD3Transformer2DModel(
        sample_size=32,
        patch_size=2,
        in_channels=16,
        out_channels=16,
        num_layers=2,
        attention_head_dim=8,
        num_attention_heads=4,
        joint_attention_dim=T5_WIDTH,
        caption_projection_dim=32,  # the transformer's width (heads × head dim)
        pooled_projection_dim=CLIP_L_HIDDEN + CLIP_G_HIDDEN,
        pos_embed_max_size=32,
    )


def build(folder: Path, family: str = "sd3") -> Path:
    """Write the tiny SD3 model (flow matching, shift 3.0 as SD3 medium ships)."""
    torch.manual_seed(SEED)
    tokenizer, text_encoder = tiny_clip_with_projection(CLIP_L_HIDDEN)
    tokenizer_2, text_encoder_2 = tiny_clip_with_projection(CLIP_G_HIDDEN)
    tokenizer_3, text_encoder_3 = tiny_t5(T5_WIDTH, d_ff=2 * T5_WIDTH)  # the original T5's ReLU feed-forward
    pipeline = StableDiffusion3Pipeline(
        transformer=tiny_transformer(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        # SD3's VAE: 16 channels, shifted then scaled, no quant convs
        vae=tiny_vae(
            latent_channels=16,
            scaling_factor=1.5305,
            shift_factor=0.0609,
            use_quant_conv=False,
            use_post_quant_conv=False,
        ),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        text_encoder_3=text_encoder_3,
        tokenizer_3=tokenizer_3,
    )
    pipeline.save_pretrained(folder)
    return folder
