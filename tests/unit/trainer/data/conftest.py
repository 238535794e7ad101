"""Fixtures for the data tests: tiny images on disk, counting fake encoders, and a RunConfig over a workspace."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from simpletuner.libs import options
from simpletuner.services.trainer.engine.run_config import RunConfig

MakeImage = Callable[..., Path]


@pytest.fixture
def make_image() -> MakeImage:
    """Writes an image of (width, height) with a colour derived from its name, plus an optional caption file."""

    def make(path: Path, size: tuple[int, int], caption: str | None = None, exif_orientation: int = 0) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shade = hashlib.sha256(path.name.encode()).digest()
        image = Image.new("RGB", size, tuple(shade[:3]))
        image.paste((shade[3], shade[4], shade[5]), (0, 0, size[0] // 2, size[1] // 3))  # not flat: crops differ
        exif = Image.Exif()
        if exif_orientation:
            exif[0x0112] = exif_orientation
        image.save(path, exif=exif) if path.suffix in (".jpg", ".jpeg") else image.save(path)
        if caption is not None:
            path.with_suffix(".txt").write_text(caption)
        return path

    return make


class FakeVae:
    """Average-pools pixels to 1/8 size with 4 channels, counting what it encodes; can fail on a chosen call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls = 0
        self.encoded = 0
        self.fail_on_call = fail_on_call

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("the VAE ran out of memory")
        self.encoded += pixels.shape[0]
        pooled = F.avg_pool2d(pixels, 8)
        return torch.cat([pooled, pooled.mean(dim=1, keepdim=True)], dim=1)


class FakeTextEncoder:
    """Embeds a prompt as values derived from its text (so different prompts differ), counting prompts."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, prompts: list[str]) -> list[dict[str, torch.Tensor]]:
        self.prompts += prompts
        out = []
        for prompt in prompts:
            seed = int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:4], "big")
            generator = torch.Generator().manual_seed(seed)
            embeds = torch.randn(4, 8, generator=generator)
            out.append({"prompt_embeds": embeds, "pooled": embeds.mean(dim=0)})
        return out


@pytest.fixture
def fake_vae() -> FakeVae:
    return FakeVae()


@pytest.fixture
def fake_text() -> FakeTextEncoder:
    return FakeTextEncoder()


MakeConfig = Callable[..., RunConfig]


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """A RunConfig over tmp_path whose data_backend_config is `dataloader`, written under configs/."""

    def make(dataloader: list[dict[str, Any]], **values: Any) -> RunConfig:
        configs = tmp_path / "configs"
        configs.mkdir(exist_ok=True)
        (configs / "multidatabackend.json").write_text(json.dumps(dataloader))
        defaults = {option.name: option.default for option in options.CATALOGUE}
        given = {
            "model_family": "sd1x",
            "pretrained_model_name_or_path": "tiny/sd1x",
            "data_backend_config": "config/multidatabackend.json",
            "resolution": 64,
            "seed": 7,
        }
        return RunConfig(defaults | given | values, tmp_path)

    return make
