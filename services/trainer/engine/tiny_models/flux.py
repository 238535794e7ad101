"""Tiny Flux.1 (FluxPipeline layout): CLIP + T5 text encoders, a 16-channel VAE and a small MMDiT, random weights."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from diffusers.pipelines.flux.pipeline_flux_kontext import FluxKontextPipeline
from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

from .tokenizers import clip_tokenizer, t5_tokenizer, vocab_size

HIDDEN = 32  # CLIP width = pooled_projection_dim; T5 d_model = joint_attention_dim
T5_MAX_LENGTH = 32  # the family takes min(512, tokenizer_2.model_max_length): keeps tiny sequences short
# SimpleTuner's `tiny`/`nano` LoRA presets name single_transformer_blocks.7 and .20, so the tiny model needs 21
# single blocks for every flux_lora_target preset to find its modules (each block is only ~15k parameters).
SINGLE_LAYERS = 21


def build(folder: Path, family: str = "flux", kontext: bool = False, guidance_embeds: bool = True) -> Path:
    """Write a tiny Flux model to `folder`: dev-like (guidance embedding) unless guidance_embeds=False (schnell-like).

    kontext=True records FluxKontextPipeline in model_index.json; the weights layout is the same as Flux's.
    """
    torch.manual_seed(0)
    clip, t5 = clip_tokenizer(), t5_tokenizer(T5_MAX_LENGTH)
    pipeline_class = FluxKontextPipeline if kontext else FluxPipeline
    pipeline = pipeline_class(
        scheduler=_scheduler(),
        vae=_vae(),
        text_encoder=_clip_encoder(vocab_size(clip)),
        tokenizer=clip,
        text_encoder_2=_t5_encoder(vocab_size(t5)),
        tokenizer_2=t5,
        transformer=_transformer(guidance_embeds),
    )
    pipeline.save_pretrained(folder)
    return folder


def _transformer(guidance_embeds: bool) -> FluxTransformer2DModel:
    return FluxTransformer2DModel(
        patch_size=1,
        in_channels=16 * 4,  # 16 latent channels packed into 2x2 patches
        num_layers=1,
        num_single_layers=SINGLE_LAYERS,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=HIDDEN,
        pooled_projection_dim=HIDDEN,
        guidance_embeds=guidance_embeds,
        axes_dims_rope=(4, 6, 6),  # sums to attention_head_dim
    )


def _vae() -> AutoencoderKL:
    # Four levels give the real 8x downsampling, so a 64 px image is 8x8 latents (16 tokens once packed).
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
        latent_channels=16,
        sample_size=64,
        scaling_factor=0.3611,
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def _clip_encoder(vocab: int) -> CLIPTextModel:
    config = CLIPTextConfig(
        vocab_size=vocab,
        hidden_size=HIDDEN,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=HIDDEN,
        bos_token_id=0,
        eos_token_id=1,  # the tiny tokenizer's <|endoftext|>: where the pooled output is read
        pad_token_id=1,
    )
    return CLIPTextModel(config)


def _t5_encoder(vocab: int) -> T5EncoderModel:
    config = T5Config(
        vocab_size=vocab,
        d_model=HIDDEN,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",  # T5 v1.1, as Flux's T5-XXL
        is_encoder_decoder=False,
    )
    return T5EncoderModel(config)


def _scheduler() -> FlowMatchEulerDiscreteScheduler:
    # FLUX.1-dev's scheduler config: resolution-dependent shift between 0.5 and 1.15.
    return FlowMatchEulerDiscreteScheduler(
        shift=3.0,
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=1.15,
        base_image_seq_len=256,
        max_image_seq_len=4096,
    )
