"""Tiny PixArt-Sigma (PixArtSigmaPipeline layout): a T5 encoder, a 4-channel VAE and a small DiT, random weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import DPMSolverMultistepScheduler
from diffusers.models.transformers.pixart_transformer_2d import PixArtTransformer2DModel
from diffusers.pipelines.pixart_alpha.pipeline_pixart_sigma import PixArtSigmaPipeline

from .components import SEED, T5_V1_1, tiny_t5, tiny_vae

HIDDEN = 32  # T5 d_model = the transformer's caption_channels
T5_MAX_LENGTH = 32  # the family takes min(300, tokenizer.model_max_length): keeps tiny sequences short


def build(folder: Path, family: str = "pixart_sigma") -> Path:
    """Write a tiny PixArt-Sigma model to `folder` (learned sigma: the transformer outputs 2x the latent channels)."""
    torch.manual_seed(SEED)
    tokenizer, text_encoder = tiny_t5(HIDDEN, max_length=T5_MAX_LENGTH, **T5_V1_1)  # as PixArt's T5-XXL
    components: dict[str, Any] = {  # Any: diffusers annotates `scheduler` as the KarrasDiffusionSchedulers enum
        "tokenizer": tokenizer,
        "text_encoder": text_encoder,
        # the SDXL VAE's scale, which PixArt-Sigma uses
        "vae": tiny_vae(block_out_channels=(8, 8, 8, 8), norm_num_groups=4, scaling_factor=0.13025),
        "transformer": _transformer(),
        # PixArt-Sigma ships a DPM-Solver sampler; training builds a DDPMScheduler from the same config
        "scheduler": DPMSolverMultistepScheduler(),
    }
    pipeline = PixArtSigmaPipeline(**components)
    pipeline.save_pretrained(folder)
    return folder


def _transformer() -> PixArtTransformer2DModel:
    return PixArtTransformer2DModel(
        sample_size=8,  # latent size of a 64 px image
        num_layers=2,
        patch_size=2,
        attention_head_dim=8,
        num_attention_heads=2,
        cross_attention_dim=16,  # must equal heads x head dim: captions are projected to the inner width first
        caption_channels=HIDDEN,
        in_channels=4,
        out_channels=8,
        attention_bias=True,
        activation_fn="gelu-approximate",
        num_embeds_ada_norm=1000,
        norm_type="ada_norm_single",
        norm_elementwise_affine=False,
        norm_eps=1e-6,
        use_additional_conditions=False,  # as PixArt-Sigma: no resolution / aspect-ratio embedding
    )
