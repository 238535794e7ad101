"""Tiny Stable Diffusion 1.x/2.x (UNet, 4-channel VAE, CLIP), and the VAE and CLIP builders SDXL and SD3 reuse."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.schedulers.scheduling_ddim import DDIMScheduler
from diffusers.schedulers.scheduling_pndm import PNDMScheduler
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from .tokenizers import clip_tokenizer, vocab_size

SEED = 0


def tiny_vae(latent_channels: int = 4, **config: object) -> AutoencoderKL:
    """Four resolution levels, so latents are 1/8 of the image like the real VAEs, with 8–16 channels."""
    levels = 4
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * levels,
        up_block_types=("UpDecoderBlock2D",) * levels,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        norm_num_groups=8,
        latent_channels=latent_channels,
        sample_size=64,
        **config,
    )


def clip_config(tokenizer: CLIPTokenizer, hidden_size: int) -> CLIPTextConfig:
    """Two layers; the special token ids are the tiny tokenizer's so the pooled (end-of-text) token is found."""
    return CLIPTextConfig(
        vocab_size=vocab_size(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        projection_dim=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=tokenizer.model_max_length,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act="gelu",
    )


def tiny_clip(hidden_size: int = 32) -> tuple[CLIPTokenizer, CLIPTextModel]:
    """A character-level CLIP tokenizer and a matching random text encoder."""
    tokenizer = clip_tokenizer()
    return tokenizer, CLIPTextModel(clip_config(tokenizer, hidden_size))


def tiny_clip_with_projection(hidden_size: int = 32) -> tuple[CLIPTokenizer, CLIPTextModelWithProjection]:
    """As tiny_clip, with the pooled-output projection SDXL's second and SD3's two CLIP encoders have."""
    tokenizer = clip_tokenizer()
    return tokenizer, CLIPTextModelWithProjection(clip_config(tokenizer, hidden_size))


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
    if sd2:
        return DDIMScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            prediction_type=prediction_type,
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1,
        )
    return PNDMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type=prediction_type,
        skip_prk_steps=True,
        set_alpha_to_one=False,
        steps_offset=1,
    )


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
