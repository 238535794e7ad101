"""The LoRA key layout: comfyui is for standard LoRAs only; diffusers is the default and always accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpletuner.libs import options
from simpletuner.libs.options import validation


def lora_format_errors(tmp_path: Path, **values: object) -> list[str]:
    config = {option.name: option.default for option in options.CATALOGUE}
    config |= {"model_family": "flux", "pretrained_model_name_or_path": "m", "output_dir": "o", "max_train_steps": 4}
    config |= values
    report = validation.check(config, set(values), tmp_path, tmp_path)
    return [message for field, message in report.errors if field == "lora_format"]


def test_the_diffusers_layout_is_the_default() -> None:
    assert options.find("lora_format").default == "diffusers"  # type: ignore[union-attr]


def test_a_standard_lora_may_be_saved_in_comfyui_layout(tmp_path: Path) -> None:
    assert lora_format_errors(tmp_path, model_type="lora", lora_type="standard", lora_format="comfyui") == []


@pytest.mark.parametrize("values", [{"model_type": "lora", "lora_type": "lycoris"}, {"model_type": "full"}])
def test_comfyui_layout_is_refused_for_lycoris_and_full_with_the_fix(tmp_path: Path, values: dict[str, str]) -> None:
    errors = lora_format_errors(tmp_path, lora_format="comfyui", **values)
    assert errors and "use diffusers" in errors[0]
