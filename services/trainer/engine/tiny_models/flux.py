"""Tiny Flux.1 (FluxPipeline layout): CLIP + T5 text encoders, a 16-channel VAE and a small MMDiT, random weights."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from diffusers.pipelines.flux.pipeline_flux_kontext import FluxKontextPipeline

from .components import SEED, T5_V1_1, tiny_clip, tiny_t5, tiny_vae

HIDDEN = 32  # CLIP width = pooled_projection_dim; T5 d_model = joint_attention_dim
T5_MAX_LENGTH = 32  # the family takes min(512, tokenizer_2.model_max_length): keeps tiny sequences short
# SimpleTuner's `tiny`/`nano` LoRA presets name single_transformer_blocks.7 and .20, so the tiny model needs 21
# single blocks for every flux_lora_target preset to find its modules (each block is only ~15k parameters).
SINGLE_LAYERS = 21


def build(folder: Path, family: str = "flux", kontext: bool = False, guidance_embeds: bool = True) -> Path:
    """Write a tiny Flux model to `folder`: dev-like (guidance embedding) unless guidance_embeds=False (schnell-like).

    kontext=True records FluxKontextPipeline in model_index.json; the weights layout is the same as Flux's.
    """
    torch.manual_seed(SEED)
    vae = flux_vae()  # built in this order (VAE, CLIP, T5, transformer): the seeded weights depend on it
    tokenizer, text_encoder = tiny_clip(HIDDEN, intermediate_size=37, hidden_act="quick_gelu")
    tokenizer_2, text_encoder_2 = tiny_t5(HIDDEN, max_length=T5_MAX_LENGTH, **T5_V1_1)  # as Flux's T5-XXL
    pipeline_class = FluxKontextPipeline if kontext else FluxPipeline
    pipeline = pipeline_class(
        scheduler=flux_scheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
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


def flux_vae() -> AutoencoderKL:
    # Flux's VAE: 16 channels, shifted then scaled, no quant convs (a 64 px image is 16 tokens once packed)
    return tiny_vae(
        16,
        block_out_channels=(8, 8, 8, 8),
        norm_num_groups=4,
        scaling_factor=0.3611,
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def flux_scheduler() -> FlowMatchEulerDiscreteScheduler:
    # FLUX.1-dev's scheduler config: resolution-dependent shift between 0.5 and 1.15.
    return FlowMatchEulerDiscreteScheduler(
        shift=3.0,
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=1.15,
        base_image_seq_len=256,
        max_image_seq_len=4096,
    )
