"""Flux: the tiny model loads in diffusers, and the family packs latents, conditions on Kontext references, trains
and samples."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.models.transformers.transformer_flux import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from diffusers.pipelines.flux.pipeline_flux_kontext import FluxKontextPipeline
from peft import LoraConfig, inject_adapter_in_model
from PIL import Image

from simpletuner.libs import options
from simpletuner.services.trainer.engine import tiny_models
from simpletuner.services.trainer.engine.families import family_class
from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily, SampleRequest
from simpletuner.services.trainer.engine.families.flux import FluxFamily, image_ids, pack_latents, unpack_latents
from simpletuner.services.trainer.engine.objectives import FlowMatchingObjective
from simpletuner.services.trainer.engine.run_config import RunConfig

PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows
LATENT = (16, HEIGHT // 8, WIDTH // 8)
HIDDEN = 32  # the tiny T5 and CLIP width
TARGETS = next(option.choices for option in options.CATALOGUE if option.name == "flux_lora_target")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build("flux", tmp_path_factory.mktemp("tiny-flux"))


def configured(folder: Path, workspace: Path, **overrides: Any) -> FluxFamily:
    """The family for these options, nothing loaded yet."""
    defaults = {option.name: option.default for option in options.CATALOGUE}
    given = {"model_family": "flux", "pretrained_model_name_or_path": str(folder), **overrides}
    family = family_class("flux")(RunConfig(defaults | given, workspace=workspace), torch.device("cpu"), torch.float32)
    assert isinstance(family, FluxFamily)
    return family


def load(folder: Path, workspace: Path, **overrides: Any) -> FluxFamily:
    """The family with its VAE and text encoders loaded (on the CPU, float32)."""
    family = configured(folder, workspace, **overrides)
    family.load_vae()
    family.load_text_encoders()
    return family


@pytest.fixture(scope="module")
def family(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> FluxFamily:
    return load(folder, tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def kontext(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> FluxFamily:
    return load(folder, tmp_path_factory.mktemp("workspace"), model_flavour="kontext")


@pytest.fixture(scope="module")
def denoiser(family: FluxFamily) -> torch.nn.Module:
    return family.load_denoiser()


def encoded_batch(family: ModelFamily, with_reference: bool = False) -> Batch:
    pixels = torch.rand((len(PROMPTS), 3, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0)) * 2 - 1
    embeds = family.encode_prompts(PROMPTS)
    sizes = torch.tensor([[HEIGHT, WIDTH]] * len(PROMPTS))
    return Batch(
        latents=family.encode_images(pixels),
        embeds={key: torch.stack([prompt[key] for prompt in embeds]) for key in embeds[0]},
        original_sizes=sizes,
        crop_coords=torch.zeros_like(sizes),
        target_sizes=sizes,
        # a smaller reference: Kontext references need not match the target's size
        conditioning_latents=family.encode_images(pixels[..., :32, :32]) if with_reference else None,
    )


@pytest.fixture(scope="module")
def batch(family: FluxFamily) -> Batch:
    return encoded_batch(family)


def with_lora(denoiser: torch.nn.Module, targets: list[str]) -> torch.nn.Module:
    return inject_adapter_in_model(LoraConfig(r=4, lora_alpha=4, target_modules=targets), copy.deepcopy(denoiser))


def test_the_tiny_model_loads_with_the_real_pipelines(folder: Path) -> None:
    pipeline = FluxPipeline.from_pretrained(folder)
    assert isinstance(pipeline.scheduler, FlowMatchEulerDiscreteScheduler)
    assert pipeline.vae.config.latent_channels == 16
    assert pipeline.transformer.config.guidance_embeds  # dev-like: a distilled guidance embedding
    assert isinstance(FluxKontextPipeline.from_pretrained(folder).transformer, FluxTransformer2DModel)
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_the_family_loads_a_float32_denoiser_and_frozen_encoders(family: FluxFamily, denoiser: torch.nn.Module) -> None:
    assert isinstance(denoiser, FluxTransformer2DModel)
    assert {parameter.dtype for parameter in denoiser.parameters()} == {torch.float32}
    assert not any(parameter.requires_grad for parameter in family.vae.parameters())
    assert family.text_pipeline is not None
    encoders = (family.text_pipeline.text_encoder, family.text_pipeline.text_encoder_2)
    assert not any(parameter.requires_grad for encoder in encoders for parameter in encoder.parameters())
    assert family.max_sequence_length == 32  # the tiny T5 tokenizer's limit, below Flux's 512


def test_unloading_the_text_encoders_drops_them(folder: Path, tmp_path: Path) -> None:
    family = load(folder, tmp_path)
    family.unload_text_encoders()
    assert family.text_pipeline is None
    with pytest.raises(RuntimeError, match="load_text_encoders"):
        family.encode_prompts(PROMPTS)


def test_prompts_encode_to_t5_tokens_and_a_pooled_clip_vector_on_the_cpu(family: FluxFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        assert {key: tuple(tensor.shape) for key, tensor in prompt.items()} == {
            "prompt_embeds": (32, HIDDEN),
            "pooled_prompt_embeds": (HIDDEN,),
        }
        for tensor in prompt.values():
            assert tensor.device.type == "cpu"
            # its own storage, so caching one prompt does not write the whole batch
            assert tensor.untyped_storage().nbytes() == tensor.numel() * tensor.element_size()
    assert not torch.equal(embeds[0]["prompt_embeds"], embeds[1]["prompt_embeds"])


def test_images_encode_to_shifted_sixteen_channel_latents(family: FluxFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), *LATENT)
    assert family.vae.config.shift_factor and family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_packing_matches_the_pipeline_and_round_trips() -> None:
    latents = torch.randn(2, *LATENT)
    packed = pack_latents(latents)
    assert torch.equal(packed, FluxPipeline._pack_latents(latents, 2, LATENT[0], LATENT[1], LATENT[2]))
    assert torch.equal(unpack_latents(packed, LATENT[1], LATENT[2]), latents)
    pipeline_ids = FluxPipeline._prepare_latent_image_ids(2, LATENT[1] // 2, LATENT[2] // 2, "cpu", torch.float32)
    assert torch.equal(image_ids(LATENT[1], LATENT[2], torch.device("cpu")), pipeline_ids)


def test_flow_matching_predictions_match_the_velocity_target(
    family: FluxFamily, denoiser: torch.nn.Module, batch: Batch
) -> None:
    objective = family.objective()
    assert isinstance(objective, FlowMatchingObjective)
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())


def test_the_guidance_embedding_gets_the_configured_value_or_a_random_one_in_range(
    folder: Path, tmp_path: Path
) -> None:
    constant = configured(folder, tmp_path, flux_guidance_value=3.5)
    assert constant._guidance(3, torch.device("cpu")).tolist() == [3.5, 3.5, 3.5]
    drawn = configured(folder, tmp_path, flux_guidance_mode="random-range")._guidance(100, torch.device("cpu"))
    assert ((drawn >= 0.0) & (drawn <= 4.0)).all() and drawn.unique().numel() > 1


def test_a_model_without_guidance_embedding_predicts_without_guidance(tmp_path: Path) -> None:
    schnell = load(tiny_models.build("flux", tmp_path / "schnell", guidance_embeds=False), tmp_path)
    batch = encoded_batch(schnell)
    noised = schnell.objective().noise(batch.latents, torch.Generator().manual_seed(0))
    assert schnell.predict(schnell.load_denoiser(), noised.noisy, noised.timesteps, batch).shape == batch.latents.shape


def test_kontext_predicts_only_the_target_tokens_and_the_reference_changes_them(
    kontext: FluxFamily, denoiser: torch.nn.Module
) -> None:
    with_reference = encoded_batch(kontext, with_reference=True)
    assert with_reference.conditioning_latents is not None
    assert with_reference.conditioning_latents.shape == (len(PROMPTS), 16, 4, 4)
    noised = kontext.objective().noise(with_reference.latents, torch.Generator().manual_seed(0))
    conditioned = kontext.predict(denoiser, noised.noisy, noised.timesteps, with_reference)
    assert conditioned.shape == noised.target.shape
    plain = copy.copy(with_reference)
    plain.conditioning_latents = None
    assert not torch.allclose(conditioned, kontext.predict(denoiser, noised.noisy, noised.timesteps, plain))


@pytest.mark.parametrize("target", TARGETS)
def test_every_flux_lora_target_preset_wraps_modules(
    folder: Path, tmp_path: Path, denoiser: torch.nn.Module, target: str
) -> None:
    targets = configured(folder, tmp_path, flux_lora_target=target).lora_target_modules()
    wrapped = [name for name, module in with_lora(denoiser, targets).named_modules() if hasattr(module, "lora_A")]
    matched = {target: sum(name == target or name.endswith(f".{target}") for name in wrapped) for target in targets}
    assert all(count > 0 for count in matched.values()), matched


def test_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(
    family: FluxFamily, denoiser: torch.nn.Module, batch: Batch
) -> None:
    torch.manual_seed(0)  # the LoRA's A matrices are drawn at random
    model = with_lora(denoiser, family.lora_target_modules())
    # LoRA's B starts at zero and the tiny model's gradients are small: plain SGD needs a large rate
    optimizer = torch.optim.SGD([p for name, p in model.named_parameters() if "lora_" in name], lr=30.0)
    noised = family.objective().noise(batch.latents, torch.Generator().manual_seed(0))
    losses = []
    for _ in range(6):
        loss = torch.nn.functional.mse_loss(family.predict(model, noised.noisy, noised.timesteps, batch), noised.target)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < 0.97 * losses[0], losses


# what on_step saw: (step index, timestep, latents)
Steps = list[tuple[int, int, torch.Tensor]]


def request(family: FluxFamily, steps: Steps, reference: Image.Image | None = None) -> SampleRequest:
    return SampleRequest(
        embeds=family.encode_prompts([PROMPTS[0]])[0],
        negative_embeds=None,
        width=WIDTH,
        height=HEIGHT,
        num_inference_steps=2,
        guidance=3.5,
        generator=torch.Generator().manual_seed(0),
        on_step=lambda step, timestep, latents: steps.append((step, timestep, latents)),
        conditioning_image=reference,
    )


def test_generate_without_text_encoders_returns_the_requested_size_and_reports_every_step(
    family: FluxFamily, denoiser: torch.nn.Module
) -> None:
    steps: Steps = []
    pipeline = family.build_pipeline(denoiser)
    assert isinstance(pipeline, FluxPipeline) and pipeline.text_encoder is None
    image = family.generate(pipeline, request(family, steps))
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[0][1] == 1000  # the first step starts from pure noise
    # unpacked to encode_images' layout, so decode_latents can preview it
    assert steps[-1][2].shape == (1, *LATENT)
    assert family.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)


def test_kontext_generates_from_a_reference_image(kontext: FluxFamily, denoiser: torch.nn.Module) -> None:
    steps: Steps = []
    pipeline = kontext.build_pipeline(denoiser)
    assert isinstance(pipeline, FluxKontextPipeline)
    reference = Image.new("RGB", (WIDTH, HEIGHT), (200, 30, 30))
    image = kontext.generate(pipeline, request(kontext, steps, reference))
    assert image.size == (WIDTH, HEIGHT)
    assert len(steps) == 2 and steps[-1][2].shape == (1, *LATENT)
