"""SDXL: the tiny model loads in diffusers; the family encodes with two CLIPs, micro-conditions, trains and samples."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from diffusers import StableDiffusionXLPipeline
from transformers import CLIPTextModelWithProjection

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily, SampleRequest
from simpletuner.services.trainer.engine.families.sdxl import StableDiffusionXLFamily
from simpletuner.services.trainer.engine.objectives import DiffusionObjective

MODEL_FAMILY = "sdxl"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows


def test_the_tiny_model_loads_with_the_real_pipeline(folder: Path) -> None:
    pipeline = StableDiffusionXLPipeline.from_pretrained(folder)
    assert isinstance(pipeline.text_encoder_2, CLIPTextModelWithProjection)
    assert pipeline.unet.config.addition_embed_type == "text_time"
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_prompts_encode_to_both_encoders_states_and_a_pooled_projection(family: ModelFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        shapes = {key: tuple(tensor.shape) for key, tensor in prompt.items()}
        # 77 tokens × (32 + 32) side by side; the pooled projection of text_encoder_2
        assert shapes == {"prompt_embeds": (77, 64), "pooled_prompt_embeds": (32,)}
        assert all(tensor.device.type == "cpu" for tensor in prompt.values())
    assert not torch.equal(embeds[0]["pooled_prompt_embeds"], embeds[1]["pooled_prompt_embeds"])


def test_images_encode_to_four_channel_latents_an_eighth_the_size(batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), 4, HEIGHT // 8, WIDTH // 8)
    assert batch.latents.dtype == torch.float32


def test_predictions_match_the_target_and_depend_on_the_size_conditioning(family: ModelFamily, batch: Batch) -> None:
    objective = family.objective()
    assert isinstance(objective, DiffusionObjective) and objective.prediction_type == "epsilon"
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    denoiser = family.load_denoiser()
    prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())
    # add_time_ids reach the UNet: a different original size changes the prediction
    upscaled = replace(batch, original_sizes=batch.original_sizes * 4)
    assert not torch.allclose(family.predict(denoiser, noised.noisy, noised.timesteps, upscaled), prediction)


def test_lora_targets_match_the_unet_attention_projections(
    family: ModelFamily, lora_matches: Callable[[ModelFamily], dict[str, int]]
) -> None:
    matches = lora_matches(family)
    assert set(matches) == {"to_k", "to_q", "to_v", "to_out.0"}
    assert all(count > 0 for count in matches.values()), matches


def test_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(
    family: ModelFamily, batch: Batch, lora_losses: Callable[[ModelFamily, Batch, int, float], list[float]]
) -> None:
    losses = lora_losses(family, batch, 10, 5.0)  # LoRA's B starts at zero: plain SGD needs a large rate
    assert losses[-1] < 0.97 * losses[0], losses


def test_generate_returns_the_requested_size_and_reports_every_step(
    family: ModelFamily, sample: Callable[..., Any]
) -> None:
    image, steps = sample(family, PROMPTS[0], WIDTH, HEIGHT)
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[-1][2].shape == (1, 4, HEIGHT // 8, WIDTH // 8)
    assert family.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)


def test_a_float16_unet_samples_through_the_float32_vae(family: ModelFamily) -> None:
    # SDXL's VAE overflows in float16, so it stays float32; the pipeline's own decode would hand it half latents
    half = StableDiffusionXLFamily(family.config, family.device, torch.float16)
    half.load_vae()
    half.load_text_encoders()
    assert half.vae.dtype == torch.float32
    embeds = half.encode_prompts([PROMPTS[0], ""])
    pipeline = half.build_pipeline(half.load_denoiser().to(torch.float16))
    request = SampleRequest(embeds[0], embeds[1], WIDTH, HEIGHT, 2, 5.0, torch.Generator().manual_seed(0))
    assert half.generate(pipeline, request).size == (WIDTH, HEIGHT)
