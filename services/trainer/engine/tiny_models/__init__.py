"""Tiny models with random weights, built locally from small configs (no downloads): for tests, benchmarks and
the tiny-demo example. Each family module has `build(folder: Path, **variant) -> Path` that writes a complete
diffusers model folder (model_index.json and every component) which the real `from_pretrained` loads."""

from __future__ import annotations

import importlib
from pathlib import Path

import torch

# model_family -> module: each tiny model module is named as the family's module under families/
from ..families import MODULES


def build(family: str, folder: Path, **variant: object) -> Path:
    """Write the tiny `family` model into `folder` (once: an existing model_index.json is reused)."""
    if (folder / "model_index.json").is_file():
        return folder
    module = importlib.import_module(f"{__name__}.{MODULES[family]}")
    with torch.random.fork_rng(devices=[]):  # builders seed torch; the caller's random stream stays untouched
        built: Path = module.build(folder, family=family, **variant)
    return built
