"""Sana: the tiny model loads in diffusers, and the family encodes masked Gemma2 prompts, flow-matches on DC-AE
latents, trains and samples."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from diffusers.models.autoencoders.autoencoder_dc import AutoencoderDC
from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel
from diffusers.pipelines.sana.pipeline_sana import SanaPipeline
from peft import LoraConfig, inject_adapter_in_model

from simpletuner.libs import options
from simpletuner.services.trainer.engine import tiny_models
from simpletuner.services.trainer.engine.families import family_class
from simpletuner.services.trainer.engine.families.base import Batch, SampleRequest
from simpletuner.services.trainer.engine.families.sana import SanaFamily
from simpletuner.services.trainer.engine.objectives import FlowMatchingObjective
from simpletuner.services.trainer.engine.run_config import RunConfig

PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 32  # not square, so a swapped height and width shows (SanaPipeline needs multiples of 32)
LATENT = (8, HEIGHT // 8, WIDTH // 8)  # the tiny DC-AE: 8 channels, 8x smaller (the real one: 32 channels, 32x)
GEMMA_TOKENS, GEMMA_WIDTH = 32, 32  # the tiny tokenizer's limit (below Sana's 300) and the tiny Gemma2's width


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build("sana", tmp_path_factory.mktemp("tiny-sana"))


def load(folder: Path, workspace: Path) -> SanaFamily:
    """The family with its VAE and text encoder loaded (on the CPU, float32)."""
    defaults = {option.name: option.default for option in options.CATALOGUE}
    given = {"model_family": "sana", "pretrained_model_name_or_path": str(folder)}
    config = RunConfig(defaults | given, workspace=workspace)
    family = family_class("sana")(config, torch.device("cpu"), torch.float32)
    assert isinstance(family, SanaFamily)
    family.load_vae()
    family.load_text_encoders()
    return family


@pytest.fixture(scope="module")
def family(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> SanaFamily:
    return load(folder, tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def denoiser(family: SanaFamily) -> torch.nn.Module:
    return family.load_denoiser()


@pytest.fixture(scope="module")
def batch(family: SanaFamily) -> Batch:
    pixels = torch.rand((len(PROMPTS), 3, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0)) * 2 - 1
    embeds = family.encode_prompts(PROMPTS)
    sizes = torch.tensor([[HEIGHT, WIDTH]] * len(PROMPTS))
    return Batch(
        latents=family.encode_images(pixels),
        embeds={key: torch.stack([prompt[key] for prompt in embeds]) for key in embeds[0]},
        original_sizes=sizes,
        crop_coords=torch.zeros_like(sizes),
        target_sizes=sizes,
    )


def with_lora(family: SanaFamily) -> torch.nn.Module:
    config = LoraConfig(r=4, lora_alpha=4, target_modules=family.lora_target_modules())
    return inject_adapter_in_model(config, family.load_denoiser())


def test_the_tiny_model_loads_with_the_real_pipeline(folder: Path) -> None:
    pipeline = SanaPipeline.from_pretrained(folder)
    assert isinstance(pipeline.transformer, SanaTransformer2DModel)
    assert isinstance(pipeline.vae, AutoencoderDC)
    assert pipeline.scheduler.config.prediction_type == "flow_prediction"
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_the_family_loads_a_float32_denoiser_and_frozen_encoders(family: SanaFamily, denoiser: torch.nn.Module) -> None:
    assert isinstance(denoiser, SanaTransformer2DModel)
    assert {parameter.dtype for parameter in denoiser.parameters()} == {torch.float32}
    assert not any(parameter.requires_grad for parameter in family.vae.parameters())
    assert family.text_pipeline is not None
    assert not any(parameter.requires_grad for parameter in family.text_pipeline.text_encoder.parameters())
    assert family.max_sequence_length == GEMMA_TOKENS


def test_unloading_the_text_encoder_drops_it(folder: Path, tmp_path: Path) -> None:
    family = load(folder, tmp_path)
    family.unload_text_encoders()
    assert family.text_pipeline is None
    with pytest.raises(RuntimeError, match="load_text_encoders"):
        family.encode_prompts(PROMPTS)


def test_prompts_encode_to_gemma_tokens_with_their_attention_mask_on_the_cpu(family: SanaFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        assert {key: tuple(tensor.shape) for key, tensor in prompt.items()} == {
            "prompt_embeds": (GEMMA_TOKENS, GEMMA_WIDTH),
            "prompt_attention_mask": (GEMMA_TOKENS,),
        }
        assert all(tensor.device.type == "cpu" for tensor in prompt.values())
        mask = prompt["prompt_attention_mask"]
        # the real tokens first (longer prompts have more), then padding the transformer must ignore
        assert 0 < int(mask.sum()) < GEMMA_TOKENS and bool(mask[: int(mask.sum())].all())
    assert embeds[1]["prompt_attention_mask"].sum() > embeds[0]["prompt_attention_mask"].sum()


def test_images_encode_to_scaled_dc_ae_latents(family: SanaFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), *LATENT)
    assert family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_flow_matching_predictions_match_the_velocity_target(
    family: SanaFamily, denoiser: torch.nn.Module, batch: Batch
) -> None:
    objective = family.objective()
    assert isinstance(objective, FlowMatchingObjective)
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())


def test_lora_targets_match_the_attention_projections(family: SanaFamily) -> None:
    wrapped = [name for name, module in with_lora(family).named_modules() if hasattr(module, "lora_A")]
    matches = {target: sum(name.endswith(f".{target}") for name in wrapped) for target in family.lora_target_modules()}
    assert set(matches) == {"to_k", "to_q", "to_v", "to_out.0"}
    assert all(count > 0 for count in matches.values()), matches


def test_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(family: SanaFamily, batch: Batch) -> None:
    torch.manual_seed(0)  # the LoRA's A matrices are drawn at random
    model = with_lora(family)
    # LoRA's B starts at zero and the tiny model's gradients are small: plain SGD needs a large rate
    optimizer = torch.optim.SGD([p for name, p in model.named_parameters() if "lora_" in name], lr=10.0)
    noised = family.objective().noise(batch.latents, torch.Generator().manual_seed(0))
    losses = []
    for _ in range(6):
        loss = torch.nn.functional.mse_loss(family.predict(model, noised.noisy, noised.timesteps, batch), noised.target)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < 0.97 * losses[0], losses


@pytest.mark.parametrize("negative", [True, False], ids=["with-negative", "without-negative"])
def test_generate_without_text_encoder_returns_the_requested_size_and_reports_every_step(
    family: SanaFamily, denoiser: torch.nn.Module, negative: bool
) -> None:
    pipeline = family.build_pipeline(denoiser)
    assert isinstance(pipeline, SanaPipeline) and pipeline.text_encoder is None
    steps: list[tuple[int, int, torch.Tensor]] = []
    request = SampleRequest(
        embeds=family.encode_prompts([PROMPTS[0]])[0],
        negative_embeds=family.encode_prompts([""])[0] if negative else None,
        width=WIDTH,
        height=HEIGHT,
        num_inference_steps=2,
        guidance=4.5,
        generator=torch.Generator().manual_seed(0),
        on_step=lambda step, timestep, latents: steps.append((step, timestep, latents)),
    )
    image = family.generate(pipeline, request)
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[0][1] == 999  # the DPM-Solver's first step, from pure noise
    assert steps[-1][2].shape == (1, *LATENT)
    assert family.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)
