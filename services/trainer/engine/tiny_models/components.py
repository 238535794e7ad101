"""The tiny VAE, CLIP and T5 builders the tiny families share; each family passes the sizes and variant it needs."""

from __future__ import annotations

from typing import Any

from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
)

from .tokenizers import clip_tokenizer, t5_tokenizer, vocab_size

SEED = 0  # every builder seeds torch with it first, so a tiny model's weights never depend on what ran before
# T5 v1.1's gated-GELU feed-forward (Flux's and PixArt's T5-XXL), configured as the encoder alone
T5_V1_1: dict[str, Any] = {"feed_forward_proj": "gated-gelu", "is_encoder_decoder": False}


def tiny_vae(
    latent_channels: int = 4,
    block_out_channels: tuple[int, ...] = (8, 16, 16, 16),
    norm_num_groups: int = 8,
    **config: Any,
) -> AutoencoderKL:
    """An AutoencoderKL with one level per channel count: four give the real VAEs' 8x downsampling, so a 64 px image
    is 8x8 latents; `config` sets the latent scaling and the quant convs."""
    levels = len(block_out_channels)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * levels,
        up_block_types=("UpDecoderBlock2D",) * levels,
        block_out_channels=block_out_channels,
        layers_per_block=1,
        norm_num_groups=norm_num_groups,
        latent_channels=latent_channels,
        sample_size=64,
        **config,
    )


def clip_config(
    tokenizer: CLIPTokenizer, hidden_size: int, intermediate_size: int | None = None, hidden_act: str = "gelu"
) -> CLIPTextConfig:
    """Two layers; the special token ids are the tiny tokenizer's so the pooled (end-of-text) token is found."""
    return CLIPTextConfig(
        vocab_size=vocab_size(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or hidden_size * 2,
        projection_dim=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=tokenizer.model_max_length,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act=hidden_act,
    )


def tiny_clip(hidden_size: int = 32, **config: Any) -> tuple[CLIPTokenizer, CLIPTextModel]:
    """A character-level CLIP tokenizer and a matching random text encoder (`config`: clip_config's options)."""
    tokenizer = clip_tokenizer()
    return tokenizer, CLIPTextModel(clip_config(tokenizer, hidden_size, **config))


def tiny_clip_with_projection(hidden_size: int = 32) -> tuple[CLIPTokenizer, CLIPTextModelWithProjection]:
    """As tiny_clip, with the pooled-output projection SDXL's second and SD3's two CLIP encoders have."""
    tokenizer = clip_tokenizer()
    return tokenizer, CLIPTextModelWithProjection(clip_config(tokenizer, hidden_size))


def tiny_t5(
    width: int = 32, d_ff: int = 37, max_length: int = 128, **config: Any
) -> tuple[T5Tokenizer, T5EncoderModel]:
    """A character-level T5 tokenizer and a two-layer encoder of four heads (`config`: T5_V1_1 for v1.1)."""
    tokenizer = t5_tokenizer(max_length)
    t5_config = T5Config(
        vocab_size=vocab_size(tokenizer),
        d_model=width,
        d_kv=width // 4,
        d_ff=d_ff,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **config,
    )
    return tokenizer, T5EncoderModel(t5_config)
