"""Sana: the tiny model loads in diffusers, and the family encodes DC-AE latents and flow-matches on them (loading,
masked Gemma2 prompts, LoRA training, sampling: test_text_pipeline.py)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from diffusers.models.autoencoders.autoencoder_dc import AutoencoderDC
from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel
from diffusers.pipelines.sana.pipeline_sana import SanaPipeline

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily
from simpletuner.services.trainer.engine.objectives import FlowMatchingObjective

MODEL_FAMILY = "sana"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 32  # not square, so a swapped height and width shows (SanaPipeline needs multiples of 32)
LATENT = (8, HEIGHT // 8, WIDTH // 8)  # the tiny DC-AE: 8 channels, 8x smaller (the real one: 32 channels, 32x)


def test_the_tiny_model_loads_with_the_real_pipeline(folder: Path) -> None:
    pipeline = SanaPipeline.from_pretrained(folder)
    assert isinstance(pipeline.transformer, SanaTransformer2DModel)
    assert isinstance(pipeline.vae, AutoencoderDC)
    assert pipeline.scheduler.config.prediction_type == "flow_prediction"
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_images_encode_to_scaled_dc_ae_latents(family: ModelFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), *LATENT)
    assert family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_flow_matching_predictions_match_the_velocity_target(family: ModelFamily, batch: Batch) -> None:
    objective = family.objective()
    assert isinstance(objective, FlowMatchingObjective)
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    prediction = family.predict(family.load_denoiser(), noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())
