"""Optimizer names map to real optimizers; one that the platform cannot run is refused with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from simpletuner.libs import options
from simpletuner.services.trainer.engine.optim import OPTIMIZERS, build_optimizer
from simpletuner.services.trainer.engine.run_config import ConfigError, RunConfig


def config(tmp_path: Path, **overrides: object) -> RunConfig:
    return RunConfig({o.name: o.default for o in options.CATALOGUE} | overrides, workspace=tmp_path)


def test_every_optimizer_the_catalogue_offers_is_implemented() -> None:
    assert set(options.BY_NAME["optimizer"].choices) == set(OPTIMIZERS)


@pytest.mark.skipif(torch.cuda.is_available(), reason="8-bit AdamW runs where CUDA is present")
def test_eight_bit_adamw_without_a_gpu_is_refused_with_the_alternatives(tmp_path: Path) -> None:
    weight = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ConfigError, match="adamw8bit needs a CUDA GPU"):
        build_optimizer([weight], config(tmp_path, optimizer="adamw8bit"))


def test_nothing_to_train_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing to train"):
        build_optimizer([], config(tmp_path, optimizer="adamw"))
