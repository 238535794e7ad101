"""Flux: the tiny model loads in diffusers, and the family packs latents, conditions on Kontext references, trains
and samples (loading, prompts and the sampling pipeline: test_text_pipeline.py)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from diffusers.pipelines.flux.pipeline_flux_kontext import FluxKontextPipeline
from PIL import Image

from simpletuner.libs import options
from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily
from simpletuner.services.trainer.engine.families.flux import FluxFamily, image_ids, pack_latents, unpack_latents
from simpletuner.services.trainer.engine.objectives import FlowMatchingObjective

MODEL_FAMILY = "flux"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows
LATENT = (16, HEIGHT // 8, WIDTH // 8)
HIDDEN = 32  # the tiny T5 and CLIP width
TARGETS = next(option.choices for option in options.CATALOGUE if option.name == "flux_lora_target")


@pytest.fixture(scope="module")
def kontext(folder: Path, load_family: Callable[..., ModelFamily]) -> ModelFamily:
    return load_family("flux", folder, model_flavour="kontext")


def test_the_tiny_model_loads_with_the_real_pipelines(folder: Path) -> None:
    pipeline = FluxPipeline.from_pretrained(folder)
    assert isinstance(pipeline.scheduler, FlowMatchEulerDiscreteScheduler)
    assert pipeline.vae.config.latent_channels == 16
    assert pipeline.transformer.config.guidance_embeds  # dev-like: a distilled guidance embedding
    assert isinstance(FluxKontextPipeline.from_pretrained(folder).transformer, FluxTransformer2DModel)
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_prompts_encode_to_t5_tokens_and_a_pooled_clip_vector(family: ModelFamily) -> None:
    for prompt in family.encode_prompts(PROMPTS):
        assert {key: tuple(tensor.shape) for key, tensor in prompt.items()} == {
            "prompt_embeds": (32, HIDDEN),
            "pooled_prompt_embeds": (HIDDEN,),
        }


def test_images_encode_to_shifted_sixteen_channel_latents(family: ModelFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), *LATENT)
    assert family.vae.config.shift_factor and family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_packing_matches_the_pipeline_and_round_trips() -> None:
    latents = torch.randn(2, *LATENT)
    packed = pack_latents(latents)
    assert torch.equal(packed, FluxPipeline._pack_latents(latents, 2, LATENT[0], LATENT[1], LATENT[2]))
    assert torch.equal(unpack_latents(packed, LATENT[1], LATENT[2]), latents)
    pipeline_ids = FluxPipeline._prepare_latent_image_ids(2, LATENT[1] // 2, LATENT[2] // 2, "cpu", torch.float32)
    assert torch.equal(image_ids(LATENT[1], LATENT[2], torch.device("cpu")), pipeline_ids)


def test_flow_matching_predictions_match_the_velocity_target(family: ModelFamily, batch: Batch) -> None:
    objective = family.objective()
    assert isinstance(objective, FlowMatchingObjective)
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    prediction = family.predict(family.load_denoiser(), noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())


def test_the_guidance_embedding_gets_the_configured_value_or_a_random_one_in_range(
    folder: Path, configure_family: Callable[..., ModelFamily]
) -> None:
    constant = configure_family("flux", folder, flux_guidance_value=3.5)
    assert isinstance(constant, FluxFamily)
    assert constant._guidance(3, torch.device("cpu")).tolist() == [3.5, 3.5, 3.5]
    ranged = configure_family("flux", folder, flux_guidance_mode="random-range")
    assert isinstance(ranged, FluxFamily)
    drawn = ranged._guidance(100, torch.device("cpu"))
    assert ((drawn >= 0.0) & (drawn <= 4.0)).all() and drawn.unique().numel() > 1


def test_a_model_without_guidance_embedding_predicts_without_guidance(
    tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily], make_batch: Callable[..., Batch]
) -> None:
    schnell = load_family("flux", tiny_model("flux", guidance_embeds=False))
    batch = make_batch(schnell, PROMPTS, HEIGHT, WIDTH)
    noised = schnell.objective().noise(batch.latents, torch.Generator().manual_seed(0))
    assert schnell.predict(schnell.load_denoiser(), noised.noisy, noised.timesteps, batch).shape == batch.latents.shape


def test_kontext_predicts_only_the_target_tokens_and_the_reference_changes_them(
    kontext: ModelFamily, make_batch: Callable[..., Batch]
) -> None:
    # a smaller reference: Kontext references need not match the target's size
    with_reference = make_batch(kontext, PROMPTS, HEIGHT, WIDTH, reference=32)
    assert with_reference.conditioning_latents is not None
    assert with_reference.conditioning_latents.shape == (len(PROMPTS), 16, 4, 4)
    denoiser = kontext.load_denoiser()
    noised = kontext.objective().noise(with_reference.latents, torch.Generator().manual_seed(0))
    conditioned = kontext.predict(denoiser, noised.noisy, noised.timesteps, with_reference)
    assert conditioned.shape == noised.target.shape
    plain = copy.copy(with_reference)
    plain.conditioning_latents = None
    assert not torch.allclose(conditioned, kontext.predict(denoiser, noised.noisy, noised.timesteps, plain))


@pytest.mark.parametrize("target", TARGETS)
def test_every_flux_lora_target_preset_wraps_modules(
    folder: Path,
    configure_family: Callable[..., ModelFamily],
    lora_matches: Callable[[ModelFamily], dict[str, int]],
    target: str,
) -> None:
    matched = lora_matches(configure_family("flux", folder, flux_lora_target=target))
    assert all(count > 0 for count in matched.values()), matched


def test_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(
    family: ModelFamily, batch: Batch, lora_losses: Callable[[ModelFamily, Batch, int, float], list[float]]
) -> None:
    losses = lora_losses(family, batch, 5, 30.0)  # LoRA's B starts at zero: plain SGD needs a large rate
    assert losses[-1] < 0.97 * losses[0], losses


def test_generate_without_text_encoders_returns_the_requested_size_and_reports_every_step(
    family: ModelFamily, sample: Callable[..., Any]
) -> None:
    image, steps = sample(family, PROMPTS[0], WIDTH, HEIGHT, negative=False)
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[0][1] == 1000  # the first step starts from pure noise
    # unpacked to encode_images' layout, so decode_latents can preview it
    assert steps[-1][2].shape == (1, *LATENT)
    assert family.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)


def test_kontext_generates_from_a_reference_image(kontext: ModelFamily, sample: Callable[..., Any]) -> None:
    assert isinstance(kontext.build_pipeline(kontext.load_denoiser()), FluxKontextPipeline)
    reference = Image.new("RGB", (WIDTH, HEIGHT), (200, 30, 30))
    image, steps = sample(kontext, PROMPTS[0], WIDTH, HEIGHT, negative=False, reference=reference)
    assert image.size == (WIDTH, HEIGHT)
    assert len(steps) == 2 and steps[-1][2].shape == (1, *LATENT)
