"""Flux, PixArt-Sigma and Sana: what the families that encode prompts through their own pipeline do alike, and what
PixArt-Sigma and Sana, whose prompts come with an attention mask, do alike besides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily
from simpletuner.services.trainer.engine.families.text_pipeline import TextPipelineFamily

PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 32  # not square, so a swapped height and width shows (SanaPipeline needs multiples of 32)
TOKENS, HIDDEN = 32, 32  # the tiny tokenizers' limit (below the families' 300 or 512) and the tiny encoders' width


@pytest.fixture(scope="module", params=["flux", "pixart_sigma", "sana"])
def model_family(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def family(model_family: str, tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily]) -> ModelFamily:
    return load_family(model_family, tiny_model(model_family))


@pytest.fixture(scope="module", params=["pixart_sigma", "sana"])
def masked(
    request: pytest.FixtureRequest, tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily]
) -> ModelFamily:
    """A family whose prompts come with an attention mask."""
    return load_family(request.param, tiny_model(request.param))


@pytest.fixture(scope="module")
def masked_batch(masked: ModelFamily, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(masked, PROMPTS, HEIGHT, WIDTH)


def test_the_family_loads_a_float32_denoiser_and_frozen_encoders(family: ModelFamily) -> None:
    assert isinstance(family, TextPipelineFamily)
    denoiser = family.load_denoiser()
    assert isinstance(denoiser, family.denoiser_class)
    assert {parameter.dtype for parameter in denoiser.parameters()} == {torch.float32}
    assert not any(parameter.requires_grad for parameter in family.vae.parameters())
    components = family.loaded_text_pipeline().components.values()
    encoders = [module for module in components if isinstance(module, torch.nn.Module)]  # transformer, VAE: None
    assert encoders and not any(parameter.requires_grad for encoder in encoders for parameter in encoder.parameters())
    assert family.max_sequence_length == TOKENS


def test_unloading_the_text_encoders_drops_them(
    model_family: str, tiny_model: Callable[..., Path], load_family: Callable[..., ModelFamily]
) -> None:
    family = load_family(model_family, tiny_model(model_family))
    family.unload_text_encoders()
    assert isinstance(family, TextPipelineFamily) and family.text_pipeline is None
    with pytest.raises(RuntimeError, match="load_text_encoders"):
        family.encode_prompts(PROMPTS)


def test_prompts_are_cached_on_the_cpu_each_with_its_own_storage(family: ModelFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        assert prompt["prompt_embeds"].shape == (TOKENS, HIDDEN)
        for tensor in prompt.values():
            assert tensor.device.type == "cpu"
            # its own storage, so caching one prompt does not write the whole batch
            assert tensor.untyped_storage().nbytes() == tensor.numel() * tensor.element_size()
    assert not torch.equal(embeds[0]["prompt_embeds"], embeds[1]["prompt_embeds"])


def test_the_sampling_pipeline_leaves_out_the_text_encoders(family: ModelFamily) -> None:
    assert isinstance(family, TextPipelineFamily)
    pipeline = family.build_pipeline(family.load_denoiser())
    assert isinstance(pipeline, family.pipeline_class)
    assert all(pipeline.components[name] is None for name in family.text_components)


def test_masked_prompts_encode_with_an_attention_mask_over_their_real_tokens(masked: ModelFamily) -> None:
    embeds = masked.encode_prompts(PROMPTS)
    for prompt in embeds:
        assert {key: tuple(tensor.shape) for key, tensor in prompt.items()} == {
            "prompt_embeds": (TOKENS, HIDDEN),
            "prompt_attention_mask": (TOKENS,),
        }
        mask = prompt["prompt_attention_mask"]
        # the real tokens first (longer prompts have more), then padding the transformer must ignore
        assert 0 < int(mask.sum()) < TOKENS and bool(mask[: int(mask.sum())].all())
    assert embeds[1]["prompt_attention_mask"].sum() > embeds[0]["prompt_attention_mask"].sum()


def test_masked_lora_targets_match_the_attention_projections(
    masked: ModelFamily, lora_matches: Callable[[ModelFamily], dict[str, int]]
) -> None:
    # PixArtTransformer2DModel has no add_adapter (no PeftAdapterMixin): PEFT injects the layers directly
    matches = lora_matches(masked)
    assert set(matches) == {"to_k", "to_q", "to_v", "to_out.0"}
    assert all(count > 0 for count in matches.values()), matches


def test_masked_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(
    masked: ModelFamily, masked_batch: Batch, lora_losses: Callable[[ModelFamily, Batch, int, float], list[float]]
) -> None:
    losses = lora_losses(masked, masked_batch, 5, 10.0)  # LoRA's B starts at zero: plain SGD needs a large rate
    assert losses[-1] < 0.97 * losses[0], losses


@pytest.mark.parametrize("negative", [True, False], ids=["with-negative", "without-negative"])
def test_masked_generate_returns_the_requested_size_and_reports_every_step(
    masked: ModelFamily, masked_batch: Batch, sample: Callable[..., Any], negative: bool
) -> None:
    image, steps = sample(masked, PROMPTS[0], WIDTH, HEIGHT, negative=negative)
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[0][1] == 999  # the DPM-Solver's first step, from pure noise
    assert steps[-1][2].shape == (1, *masked_batch.latents.shape[1:])  # encode_images' layout
    assert masked.decode_latents(steps[-1][2]).size == (WIDTH, HEIGHT)
