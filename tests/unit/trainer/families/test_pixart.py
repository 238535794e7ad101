"""PixArt-Sigma: the tiny model loads in diffusers, and the family encodes four-channel latents and keeps the epsilon
half of the learned-sigma output (loading, masked T5 prompts, LoRA training, sampling: test_text_pipeline.py)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from diffusers import DPMSolverMultistepScheduler
from diffusers.models.transformers.pixart_transformer_2d import PixArtTransformer2DModel
from diffusers.pipelines.pixart_alpha.pipeline_pixart_sigma import PixArtSigmaPipeline

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily
from simpletuner.services.trainer.engine.objectives import DiffusionObjective

MODEL_FAMILY = "pixart_sigma"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows
LATENT = (4, HEIGHT // 8, WIDTH // 8)


def test_the_tiny_model_loads_with_the_real_pipeline(folder: Path) -> None:
    pipeline = PixArtSigmaPipeline.from_pretrained(folder)
    assert isinstance(pipeline.transformer, PixArtTransformer2DModel)
    assert isinstance(pipeline.scheduler, DPMSolverMultistepScheduler)
    assert pipeline.transformer.config.out_channels == 2 * pipeline.vae.config.latent_channels  # learned sigma
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_images_encode_to_scaled_four_channel_latents(family: ModelFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), *LATENT)
    assert family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_the_prediction_is_the_epsilon_half_of_the_learned_sigma_output(family: ModelFamily, batch: Batch) -> None:
    objective = family.objective()
    assert isinstance(objective, DiffusionObjective) and objective.prediction_type == "epsilon"
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    denoiser = family.load_denoiser()
    prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())
    raw = denoiser(
        noised.noisy,
        encoder_hidden_states=batch.embeds["prompt_embeds"],
        encoder_attention_mask=batch.embeds["prompt_attention_mask"],
        timestep=noised.timesteps,
        added_cond_kwargs={"resolution": None, "aspect_ratio": None},
    ).sample
    assert raw.shape[1] == 2 * LATENT[0] and torch.allclose(prediction, raw[:, : LATENT[0]])
