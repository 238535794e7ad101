"""Tiny Stable Diffusion 1.x/2.x (UNet, 4-channel VAE, CLIP), and the UNet and noise schedule SDXL reuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_pndm import PNDMScheduler

from .components import SEED, tiny_clip, tiny_vae

# SD's noise schedule, which every SD release (and SDXL) samples over
SCALED_LINEAR_BETAS: dict[str, Any] = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}


def tiny_unet(cross_attention_dim: int, **config: object) -> UNet2DConditionModel:
    """Two levels (32 and 64 channels), one cross-attention block each way."""
    return UNet2DConditionModel(
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64),
        layers_per_block=1,
        attention_head_dim=(2, 4),
        cross_attention_dim=cross_attention_dim,
        **config,
    )


def _scheduler(sd2: bool, prediction_type: str) -> DDIMScheduler | PNDMScheduler:
    """The sampling scheduler each release ships (PNDM for 1.x, DDIM for 2.x) over SD's scaled-linear betas."""
    shared = {**SCALED_LINEAR_BETAS, "prediction_type": prediction_type, "set_alpha_to_one": False, "steps_offset": 1}
    if sd2:
        return DDIMScheduler(**shared, clip_sample=False)
    return PNDMScheduler(**shared, skip_prk_steps=True)


def build(folder: Path, family: str = "sd1x", prediction_type: str | None = None) -> Path:
    """Write a tiny SD 1.x (epsilon, PNDM) or 2.x (v-prediction, DDIM, linear attention projections) model."""
    sd2 = family == "sd2x"
    prediction = prediction_type or ("v_prediction" if sd2 else "epsilon")
    torch.manual_seed(SEED)
    tokenizer, text_encoder = tiny_clip()
    pipeline = StableDiffusionPipeline(
        vae=tiny_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=tiny_unet(cross_attention_dim=32, use_linear_projection=sd2),
        scheduler=_scheduler(sd2, prediction),  # type: ignore[arg-type]  # diffusers annotates it with an Enum
        safety_checker=None,  # type: ignore[arg-type]
        feature_extractor=None,  # type: ignore[arg-type]
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(folder)
    return folder
