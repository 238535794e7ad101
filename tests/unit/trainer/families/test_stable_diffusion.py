"""Stable Diffusion 1.x (epsilon and v-prediction) and 2.x: tiny models load; the family encodes, trains and samples."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import DDIMScheduler, StableDiffusionPipeline

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily
from simpletuner.services.trainer.engine.objectives import DiffusionObjective

MODEL_FAMILY = "sd1x"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows
PREDICTION_TYPES = ["epsilon", "v_prediction"]


@pytest.fixture(scope="module", params=PREDICTION_TYPES)
def prediction_type(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def folder(prediction_type: str, tiny_model: Callable[..., Path]) -> Path:
    """SD 1.x's tiny model with this prediction type (in place of conftest's plain one)."""
    return tiny_model("sd1x", prediction_type=prediction_type)


def test_the_tiny_model_loads_with_the_real_pipeline(prediction_type: str, folder: Path) -> None:
    pipeline = StableDiffusionPipeline.from_pretrained(folder)
    assert pipeline.scheduler.config.prediction_type == prediction_type
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_the_tiny_sd2x_model_is_v_prediction_with_linear_projections(tiny_model: Callable[..., Path]) -> None:
    pipeline = StableDiffusionPipeline.from_pretrained(tiny_model("sd2x"))
    assert isinstance(pipeline.scheduler, DDIMScheduler)
    assert pipeline.scheduler.config.prediction_type == "v_prediction"
    assert pipeline.unet.config.use_linear_projection


def test_prompts_encode_to_one_cpu_dict_per_prompt(family: ModelFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        assert set(prompt) == {"prompt_embeds"}
        tensor = prompt["prompt_embeds"]
        assert (tensor.shape, tensor.device.type, tensor.dtype) == ((77, 32), "cpu", torch.float32)
        # each prompt owns its storage: a cache file must not carry the rest of the batch
        assert tensor.untyped_storage().nbytes() == tensor.numel() * tensor.element_size()
    assert not torch.equal(embeds[0]["prompt_embeds"], embeds[1]["prompt_embeds"])


def test_images_encode_to_four_channel_latents_an_eighth_the_size(family: ModelFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), 4, HEIGHT // 8, WIDTH // 8)
    assert batch.latents.dtype == torch.float32 and batch.latents.device.type == "cpu"
    # the posterior's mode, not a draw: encoding again gives the same latents
    pixels = torch.zeros(1, 3, HEIGHT, WIDTH)
    assert torch.equal(family.encode_images(pixels), family.encode_images(pixels))


def test_the_objective_follows_the_scheduler_and_predictions_match_its_target(
    prediction_type: str, family: ModelFamily, batch: Batch
) -> None:
    objective = family.objective()
    assert isinstance(objective, DiffusionObjective) and objective.prediction_type == prediction_type
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    prediction = family.predict(family.load_denoiser(), noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())


def test_lora_targets_match_the_unet_attention_projections(
    family: ModelFamily, lora_matches: Callable[[ModelFamily], dict[str, int]]
) -> None:
    assert family.lora_target_modules() == ["to_k", "to_q", "to_v", "to_out.0"]
    matches = lora_matches(family)
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
    assert [index for index, _, _ in steps][:2] == [0, 1]
    assert steps[-1][2].shape == (1, 4, HEIGHT // 8, WIDTH // 8)
    assert family.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)


def test_without_a_negative_prompt_generate_still_guides(
    tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily], sample: Callable[..., Any]
) -> None:
    family = load_family("sd1x", tiny_model("sd1x", prediction_type="epsilon"))
    image, _ = sample(family, PROMPTS[0], WIDTH, HEIGHT, negative=False)
    assert image.size == (WIDTH, HEIGHT)


def test_clip_skip_takes_an_earlier_text_encoder_layer(
    tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily]
) -> None:
    folder = tiny_model("sd1x", prediction_type="epsilon")
    plain = load_family("sd1x", folder).encode_prompts(PROMPTS[:1])[0]["prompt_embeds"]
    skipped = load_family("sd1x", folder, clip_skip=1).encode_prompts(PROMPTS[:1])[0]["prompt_embeds"]
    assert skipped.shape == plain.shape and not torch.allclose(skipped, plain)


def test_zero_terminal_snr_rescales_training_and_sampling_schedules(
    tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily]
) -> None:
    family = load_family("sd2x", tiny_model("sd2x"), rescale_betas_zero_snr=True)
    objective = family.objective()
    assert isinstance(objective, DiffusionObjective)
    assert objective.scheduler.alphas_cumprod[-1] < 1e-6  # the last training timestep is pure noise
    scheduler = family.build_pipeline(family.load_denoiser()).scheduler
    assert isinstance(scheduler, DDIMScheduler)
    assert scheduler.config.rescale_betas_zero_snr and scheduler.config.timestep_spacing == "trailing"
