"""Tiny Sana (SanaPipeline layout): a Gemma2 encoder, a DC-AE autoencoder and a small linear DiT, random weights."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import DPMSolverMultistepScheduler
from diffusers.models.autoencoders.autoencoder_dc import AutoencoderDC
from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel
from diffusers.pipelines.sana.pipeline_sana import SanaPipeline
from transformers import Gemma2Config, Gemma2Model

from .components import SEED
from .tokenizers import gemma_tokenizer, vocab_size

HIDDEN = 32  # Gemma2 hidden size = the transformer's caption_channels
GEMMA_MAX_LENGTH = 32  # the family takes min(300, tokenizer.model_max_length): keeps tiny sequences short
LATENT_CHANNELS = 8


def build(folder: Path, family: str = "sana") -> Path:
    """Write a tiny Sana model to `folder`."""
    torch.manual_seed(SEED)
    tokenizer = gemma_tokenizer(GEMMA_MAX_LENGTH)
    pipeline = SanaPipeline(
        tokenizer=tokenizer,
        text_encoder=_gemma_encoder(vocab_size(tokenizer)),
        vae=_vae(),
        transformer=_transformer(),
        # Sana 1.0's sampler: DPM-Solver++ over flow-matching sigmas
        scheduler=DPMSolverMultistepScheduler(flow_shift=3.0, prediction_type="flow_prediction", use_flow_sigmas=True),
    )
    pipeline.save_pretrained(folder)
    return folder


def _transformer() -> SanaTransformer2DModel:
    return SanaTransformer2DModel(
        patch_size=1,
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        num_layers=2,
        num_attention_heads=2,
        attention_head_dim=8,
        num_cross_attention_heads=2,
        cross_attention_head_dim=8,
        cross_attention_dim=16,  # heads x head dim: captions are projected to the inner width first
        caption_channels=HIDDEN,
        sample_size=8,
    )


def _vae() -> AutoencoderDC:
    # Four levels give 8x downsampling (real DC-AE: 32x), so a 64 px image is 8x8 latents.
    return AutoencoderDC(
        in_channels=3,
        latent_channels=LATENT_CHANNELS,
        attention_head_dim=4,
        encoder_block_types=("ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock"),
        decoder_block_types=("ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock"),
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        encoder_layers_per_block=(1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1),
        encoder_qkv_multiscales=((), (), (), (5,)),
        decoder_qkv_multiscales=((), (), (), (5,)),
        downsample_block_type="conv",
        upsample_block_type="interpolate",
        decoder_norm_types="rms_norm",
        decoder_act_fns="silu",
        scaling_factor=0.41407,  # Sana's DC-AE f32c32
    )


def _gemma_encoder(vocab: int) -> Gemma2Model:
    config = Gemma2Config(
        vocab_size=vocab,
        hidden_size=HIDDEN,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=2,
    )
    return Gemma2Model(config)
