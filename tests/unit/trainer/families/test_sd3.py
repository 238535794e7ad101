"""SD3: the tiny model loads in diffusers; the family encodes CLIP-L, CLIP-G and T5, flow-matches, trains, samples."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from diffusers import FlowMatchEulerDiscreteScheduler, StableDiffusion3Pipeline
from transformers import T5EncoderModel

from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily, SampleRequest
from simpletuner.services.trainer.engine.families.sd3 import StableDiffusion3Family
from simpletuner.services.trainer.engine.objectives import FlowMatchingObjective

MODEL_FAMILY = "sd3"
PROMPTS = ["a red circle", "two blue squares"]
HEIGHT, WIDTH = 64, 48  # not square, so a swapped height and width shows
CLIP_WIDTH = 16 + 32  # CLIP-L and CLIP-G side by side in the tiny model; T5 is 64 wide


def test_the_tiny_model_loads_with_the_real_pipeline(folder: Path) -> None:
    pipeline = StableDiffusion3Pipeline.from_pretrained(folder)
    assert isinstance(pipeline.text_encoder_3, T5EncoderModel)
    assert isinstance(pipeline.scheduler, FlowMatchEulerDiscreteScheduler)
    assert pipeline.vae.config.latent_channels == 16
    assert sum(path.stat().st_size for path in folder.rglob("*")) < 5_000_000


def test_prompts_encode_to_clip_then_t5_tokens_and_both_clip_projections(family: ModelFamily) -> None:
    embeds = family.encode_prompts(PROMPTS)
    assert len(embeds) == len(PROMPTS)
    for prompt in embeds:
        shapes = {key: tuple(tensor.shape) for key, tensor in prompt.items()}
        assert shapes == {"prompt_embeds": (77 + 77, 64), "pooled_prompt_embeds": (CLIP_WIDTH,)}
        assert all(tensor.device.type == "cpu" for tensor in prompt.values())
        clip_tokens = prompt["prompt_embeds"][:77]
        # the CLIP states are zero-padded to T5's width; the T5 tokens fill it
        assert torch.count_nonzero(clip_tokens[:, CLIP_WIDTH:]) == 0
        assert torch.count_nonzero(clip_tokens[:, :CLIP_WIDTH]) > 0
    assert not torch.equal(embeds[0]["prompt_embeds"], embeds[1]["prompt_embeds"])


def test_images_encode_to_sixteen_channel_latents_an_eighth_the_size(family: ModelFamily, batch: Batch) -> None:
    assert batch.latents.shape == (len(PROMPTS), 16, HEIGHT // 8, WIDTH // 8)
    # shifted then scaled: decoding for a preview undoes both
    assert family.vae.config.shift_factor and family.decode_latents(batch.latents).size == (WIDTH, HEIGHT)


def test_flow_matching_predictions_match_the_velocity_target(family: ModelFamily, batch: Batch) -> None:
    objective = family.objective()
    assert isinstance(objective, FlowMatchingObjective)
    noised = objective.noise(batch.latents, torch.Generator().manual_seed(0))
    assert ((noised.timesteps > 0) & (noised.timesteps < 1000)).all()
    prediction = family.predict(family.load_denoiser(), noised.noisy, noised.timesteps, batch)
    assert prediction.shape == noised.target.shape == batch.latents.shape
    assert math.isfinite(torch.nn.functional.mse_loss(prediction, noised.target).item())


def test_lora_targets_match_both_streams_of_the_joint_attention(
    family: ModelFamily, lora_matches: Callable[[ModelFamily], dict[str, int]]
) -> None:
    matches = lora_matches(family)
    assert set(matches) == {"to_k", "to_q", "to_v", "to_out.0", "add_k_proj", "add_q_proj", "add_v_proj", "to_add_out"}
    assert all(count > 0 for count in matches.values()), matches


def test_a_few_sgd_steps_on_a_fixed_batch_lower_the_loss(
    family: ModelFamily, batch: Batch, lora_losses: Callable[[ModelFamily, Batch, int, float], list[float]]
) -> None:
    losses = lora_losses(family, batch, 10, 10.0)  # LoRA's B starts at zero: plain SGD needs a large rate
    assert losses[-1] < 0.97 * losses[0], losses


def test_generate_without_text_encoders_returns_the_requested_size_and_reports_every_step(
    family: ModelFamily, sample: Callable[..., Any]
) -> None:
    image, steps = sample(family, PROMPTS[0], WIDTH, HEIGHT, negative=False)
    assert image.size == (WIDTH, HEIGHT)
    assert [index for index, _, _ in steps] == [0, 1]
    assert steps[0][1] == 1000  # the first step starts from pure noise
    assert steps[-1][2].shape == (1, 16, HEIGHT // 8, WIDTH // 8)


def test_a_bfloat16_transformer_samples_from_cached_embeddings(family: ModelFamily) -> None:
    # StableDiffusion3Pipeline does not cast given embeddings: generate must match them to the transformer
    bf16 = StableDiffusion3Family(family.config, family.device, torch.bfloat16)
    bf16.load_vae()
    bf16.load_text_encoders()
    embeds = bf16.encode_prompts([PROMPTS[0], ""])
    pipeline = bf16.build_pipeline(bf16.load_denoiser().to(torch.bfloat16))
    request = SampleRequest(embeds[0], embeds[1], WIDTH, HEIGHT, 2, 5.0, torch.Generator().manual_seed(0))
    assert bf16.generate(pipeline, request).size == (WIDTH, HEIGHT)
