"""Noise objectives draw only from their generator, and losses weigh samples as configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import DDPMScheduler

from simpletuner.libs import options
from simpletuner.services.trainer.engine.losses import training_loss
from simpletuner.services.trainer.engine.objectives import DiffusionObjective, FlowMatchingObjective
from simpletuner.services.trainer.engine.run_config import RunConfig


def config(tmp_path: Path, **overrides: Any) -> RunConfig:
    return RunConfig({o.name: o.default for o in options.CATALOGUE} | overrides, workspace=tmp_path)


def test_the_same_generator_state_gives_the_same_noise(tmp_path: Path) -> None:
    objective = FlowMatchingObjective(config(tmp_path))
    latents = torch.randn(2, 4, 8, 8)
    first = objective.noise(latents, torch.Generator().manual_seed(3))
    second = objective.noise(latents, torch.Generator().manual_seed(3))
    assert torch.equal(first.noisy, second.noisy) and torch.equal(first.timesteps, second.timesteps)


def test_flow_matching_targets_the_velocity_from_data_to_noise(tmp_path: Path) -> None:
    objective = FlowMatchingObjective(config(tmp_path, flow_schedule_shift=1.0))
    latents = torch.randn(3, 4, 8, 8)
    noised = objective.noise(latents, torch.Generator().manual_seed(0))
    sigma = (noised.timesteps / 1000).view(-1, 1, 1, 1)
    noise = noised.target + latents
    assert torch.allclose(noised.noisy, (1 - sigma) * latents + sigma * noise, atol=1e-5)


def test_a_larger_shift_spends_more_samples_at_high_noise(tmp_path: Path) -> None:
    low = FlowMatchingObjective(config(tmp_path, flow_schedule_shift=1.0)).sigmas(
        4096, torch.Generator(), torch.device("cpu")
    )
    high = FlowMatchingObjective(config(tmp_path, flow_schedule_shift=3.0)).sigmas(
        4096, torch.Generator(), torch.device("cpu")
    )
    assert high.mean() > low.mean() + 0.1


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_diffusion_targets_follow_the_schedulers_prediction_type(tmp_path: Path, prediction_type: str) -> None:
    scheduler = DDPMScheduler(num_train_timesteps=1000, prediction_type=prediction_type)
    latents = torch.randn(2, 4, 8, 8)
    noised = DiffusionObjective(scheduler, config(tmp_path, noise_offset=0)).noise(
        latents, torch.Generator().manual_seed(1)
    )
    noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(1))
    expected = noise if prediction_type == "epsilon" else scheduler.get_velocity(latents, noise, noised.timesteps)
    assert torch.allclose(noised.target, expected, atol=1e-5)


def test_min_snr_weights_never_exceed_one_for_epsilon(tmp_path: Path) -> None:
    scheduler = DDPMScheduler(num_train_timesteps=1000)
    objective = DiffusionObjective(scheduler, config(tmp_path, snr_gamma=5.0))
    weights = objective.noise(torch.randn(64, 4, 4, 4), torch.Generator().manual_seed(2)).weights
    assert weights is not None and bool((weights <= 1.0 + 1e-6).all()) and bool((weights > 0).all())


def test_loss_kinds_differ_on_outliers_and_agree_on_zero_error(tmp_path: Path) -> None:
    target = torch.zeros(2, 4, 4, 4)
    outlier = target.clone()
    outlier[0, 0, 0, 0] = 10.0
    timesteps = torch.tensor([500.0, 500.0])
    losses = {
        kind: float(
            training_loss(outlier, target, timesteps, None, config(tmp_path, loss_type=kind, huber_schedule="constant"))
        )
        for kind in ("l2", "huber", "smooth_l1")
    }
    assert losses["huber"] < losses["l2"] and losses["smooth_l1"] < losses["l2"]
    for kind in losses:
        assert float(training_loss(target, target, timesteps, None, config(tmp_path, loss_type=kind))) == 0.0


def test_per_sample_weights_scale_each_samples_loss(tmp_path: Path) -> None:
    prediction = torch.ones(2, 1, 2, 2)
    target = torch.zeros(2, 1, 2, 2)
    weights = torch.tensor([1.0, 0.0])
    loss = training_loss(prediction, target, torch.zeros(2), weights, config(tmp_path))
    assert float(loss) == pytest.approx(0.5)
