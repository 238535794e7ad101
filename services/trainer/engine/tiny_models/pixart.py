"""Tiny PixArt-Sigma (PixArtSigmaPipeline layout): a T5 encoder, a 4-channel VAE and a small DiT, random weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import DPMSolverMultistepScheduler
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.pixart_transformer_2d import PixArtTransformer2DModel
from diffusers.pipelines.pixart_alpha.pipeline_pixart_sigma import PixArtSigmaPipeline
from transformers import T5Config, T5EncoderModel

from .tokenizers import t5_tokenizer, vocab_size

HIDDEN = 32  # T5 d_model = the transformer's caption_channels
T5_MAX_LENGTH = 32  # the family takes min(300, tokenizer.model_max_length): keeps tiny sequences short


def build(folder: Path, family: str = "pixart_sigma") -> Path:
    """Write a tiny PixArt-Sigma model to `folder` (learned sigma: the transformer outputs 2x the latent channels)."""
    torch.manual_seed(0)
    tokenizer = t5_tokenizer(T5_MAX_LENGTH)
    components: dict[str, Any] = {  # Any: diffusers annotates `scheduler` as the KarrasDiffusionSchedulers enum
        "tokenizer": tokenizer,
        "text_encoder": _t5_encoder(vocab_size(tokenizer)),
        "vae": _vae(),
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


def _vae() -> AutoencoderKL:
    # Four levels give the real 8x downsampling, so a 64 px image is 8x8 latents.
    return AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
        latent_channels=4,
        sample_size=64,
        scaling_factor=0.13025,  # the SDXL VAE's, which PixArt-Sigma uses
    )


def _t5_encoder(vocab: int) -> T5EncoderModel:
    config = T5Config(
        vocab_size=vocab,
        d_model=HIDDEN,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",  # T5 v1.1, as PixArt's T5-XXL
        is_encoder_decoder=False,
    )
    return T5EncoderModel(config)
