"""Tiny model folders built once per session, and the loading, batching, training and sampling family tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from peft import LoraConfig, inject_adapter_in_model
from PIL import Image

from simpletuner.libs import options
from simpletuner.services.trainer.engine import tiny_models
from simpletuner.services.trainer.engine.families import family_class
from simpletuner.services.trainer.engine.families.base import Batch, ModelFamily, PromptEmbeds, SampleRequest
from simpletuner.services.trainer.engine.run_config import RunConfig


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from a second thread; on a busy 2-core machine its spin-waits made these tests ~10×
    slower (43 s against 3 s for the SD, SDXL and SD3 files)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """tiny_model(model_family, **variant): the folder of that tiny model, built on first use."""
    built: dict[tuple[str, tuple[tuple[str, Any], ...]], Path] = {}

    def folder(family: str, **variant: Any) -> Path:
        key = (family, tuple(sorted(variant.items())))
        if key not in built:
            built[key] = tiny_models.build(family, tmp_path_factory.mktemp(f"tiny-{family}"), **variant)
        return built[key]

    return folder


@pytest.fixture(scope="session")
def configure_family(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., ModelFamily]:
    """configure_family(model_family, folder, **options): the family on the CPU in float32, nothing loaded yet."""

    def configure(family: str, folder: Path, **overrides: Any) -> ModelFamily:
        defaults = {option.name: option.default for option in options.CATALOGUE}
        given = {"model_family": family, "pretrained_model_name_or_path": str(folder), **overrides}
        config = RunConfig(defaults | given, workspace=tmp_path_factory.mktemp("workspace"))
        return family_class(family)(config, torch.device("cpu"), torch.float32)

    return configure


@pytest.fixture(scope="session")
def load_family(configure_family: Callable[..., ModelFamily]) -> Callable[..., ModelFamily]:
    """load_family(model_family, folder, **options): the family on the CPU in float32, VAE and text encoders loaded."""

    def load(family: str, folder: Path, **overrides: Any) -> ModelFamily:
        loaded = configure_family(family, folder, **overrides)
        loaded.load_vae()
        loaded.load_text_encoders()
        return loaded

    return load


# A test module names its family in MODEL_FAMILY and its batch in PROMPTS, HEIGHT and WIDTH; these fixtures build
# from them (a module with variants, such as SD's prediction types, overrides `folder`).


@pytest.fixture(scope="module")
def folder(request: pytest.FixtureRequest, tiny_model: Callable[..., Path]) -> Path:
    """The tiny model of the test module's MODEL_FAMILY."""
    return tiny_model(request.module.MODEL_FAMILY)


@pytest.fixture(scope="module")
def family(request: pytest.FixtureRequest, folder: Path, load_family: Callable[..., ModelFamily]) -> ModelFamily:
    """The test module's family on its tiny model, loaded."""
    return load_family(request.module.MODEL_FAMILY, folder)


@pytest.fixture(scope="module")
def batch(request: pytest.FixtureRequest, family: ModelFamily, make_batch: Callable[..., Batch]) -> Batch:
    """The test module's PROMPTS as a batch of HEIGHT x WIDTH images."""
    module = request.module
    return make_batch(family, module.PROMPTS, module.HEIGHT, module.WIDTH)


def stacked(embeds: list[PromptEmbeds]) -> dict[str, torch.Tensor]:
    return {key: torch.stack([prompt[key] for prompt in embeds]) for key in embeds[0]}


@pytest.fixture(scope="session")
def make_batch() -> Callable[..., Batch]:
    """make_batch(family, prompts, height, width, reference=None): fixed random images for the prompts, encoded as
    the caches would; reference=n adds the images' top-left n x n crops as reference latents (edit models)."""

    def make(family: ModelFamily, prompts: list[str], height: int, width: int, reference: int | None = None) -> Batch:
        pixels = torch.rand((len(prompts), 3, height, width), generator=torch.Generator().manual_seed(0)) * 2 - 1
        sizes = torch.tensor([[height, width]] * len(prompts))
        return Batch(
            latents=family.encode_images(pixels),
            embeds=stacked(family.encode_prompts(prompts)),
            original_sizes=sizes,
            crop_coords=torch.zeros_like(sizes),
            target_sizes=sizes,
            conditioning_latents=family.encode_images(pixels[..., :reference, :reference]) if reference else None,
        )

    return make


def with_lora(family: ModelFamily, denoiser: torch.nn.Module) -> torch.nn.Module:
    config = LoraConfig(r=4, lora_alpha=4, target_modules=family.lora_target_modules())
    return inject_adapter_in_model(config, denoiser)


@pytest.fixture(scope="session")
def lora_matches() -> Callable[[ModelFamily], dict[str, int]]:
    """lora_matches(family): how many denoiser modules a LoRA on each of lora_target_modules() wrapped (a target is a
    module name's last parts, or the whole name)."""

    def count(family: ModelFamily) -> dict[str, int]:
        wrapped = [
            name
            for name, module in with_lora(family, family.load_denoiser()).named_modules()
            if hasattr(module, "lora_A")
        ]
        targets = family.lora_target_modules()
        return {target: sum(name == target or name.endswith(f".{target}") for name in wrapped) for target in targets}

    return count


@pytest.fixture(scope="session")
def lora_losses() -> Callable[[ModelFamily, Batch, int, float], list[float]]:
    """lora_losses(family, batch, steps, lr): the loss before each of `steps` plain SGD steps on one noised batch,
    and after the last, training a fresh LoRA on the family's denoiser."""

    def train(family: ModelFamily, batch: Batch, steps: int, lr: float) -> list[float]:
        torch.manual_seed(0)  # the LoRA's A matrices are drawn at random
        denoiser = with_lora(family, family.load_denoiser())
        trainable = [parameter for name, parameter in denoiser.named_parameters() if "lora_" in name]
        optimizer = torch.optim.SGD(trainable, lr=lr)
        noised = family.objective().noise(batch.latents, torch.Generator().manual_seed(0))
        losses = []
        for _ in range(steps + 1):
            prediction = family.predict(denoiser, noised.noisy, noised.timesteps, batch)
            loss = torch.nn.functional.mse_loss(prediction.float(), noised.target.float())
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses

    return train


# what on_step saw: (step index, timestep, latents)
Steps = list[tuple[int, int, torch.Tensor]]


@pytest.fixture(scope="session")
def sample() -> Callable[..., tuple[Image.Image, Steps]]:
    """sample(family, prompt, width, height, negative=True, reference=None): a 2-step image through build_pipeline and
    generate (denoiser fresh from the folder, negative prompt "" encoded, or None; a reference image for edit models)
    and every on_step call."""

    def run(
        family: ModelFamily,
        prompt: str,
        width: int,
        height: int,
        negative: bool = True,
        reference: Image.Image | None = None,
    ) -> tuple[Image.Image, Steps]:
        steps: Steps = []
        request = SampleRequest(
            embeds=family.encode_prompts([prompt])[0],
            negative_embeds=family.encode_prompts([""])[0] if negative else None,
            width=width,
            height=height,
            num_inference_steps=2,
            guidance=5.0,
            generator=torch.Generator().manual_seed(0),
            on_step=lambda step, timestep, latents: steps.append((step, timestep, latents)),
            conditioning_image=reference,
        )
        image = family.generate(family.build_pipeline(family.load_denoiser()), request)
        return image, steps

    return run
