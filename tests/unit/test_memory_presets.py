"""Memory presets: every family has light, balanced and aggressive, made of real options with valid values,
each saving at least what the milder one does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.options import BY_NAME, MODEL_FAMILIES, memory_presets, validation
from simpletuner.libs.options.catalogue import CATALOGUE

MODEL_TYPES = ("lora", "full")


def problems_with(settings: dict[str, Any], family: str, model_type: str, tmp_path: Path) -> list[tuple[str, str]]:
    """The catalogue validator's errors about the preset's own options, over a config of catalogue defaults."""
    config = {option.name: option.default for option in CATALOGUE}
    config |= {"model_family": family, "model_type": model_type, **settings}
    report = validation.check(config, set(settings), tmp_path, tmp_path)
    return [(name, message) for name, message in report.errors if name in settings]


@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_every_family_has_the_three_presets_in_order_each_described(family: str) -> None:
    presets = memory_presets.presets_for(family)
    assert [preset.name for preset in presets] == ["light", "balanced", "aggressive"]
    for preset in presets:
        assert preset.label and preset.settings
        assert len(preset.description) > 40, f"{preset.name} must say what it trades away"


@pytest.mark.parametrize("model_type", MODEL_TYPES)
@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_every_setting_is_a_real_option_for_the_family_with_a_value_the_validator_accepts(
    family: str, model_type: str, tmp_path: Path
) -> None:
    for preset in memory_presets.presets_for(family, model_type):
        for name in preset.settings:
            option = BY_NAME.get(name)
            assert option is not None, f"{preset.name} sets {name}, which is not in the catalogue"
            assert option.applies_to(family), f"{preset.name} sets {name}, which {family} does not have"
        assert problems_with(preset.settings, family, model_type, tmp_path) == []


@pytest.mark.parametrize("model_type", MODEL_TYPES)
@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_each_preset_saves_at_least_what_the_milder_one_does(family: str, model_type: str) -> None:
    light, balanced, aggressive = (p.settings for p in memory_presets.presets_for(family, model_type))
    for milder, stronger in ((light, balanced), (balanced, aggressive)):
        assert set(milder) < set(stronger), "a stronger preset keeps every saving and adds some"
        for name, value in milder.items():
            rank = memory_presets.saving_rank
            assert rank(name, stronger[name]) >= rank(name, value), f"{name}: {stronger[name]} saves less than {value}"


@pytest.mark.parametrize("family", ["sana", "pixart_sigma", "sd1x", "sd2x"])
def test_families_that_quantise_badly_are_never_quantised(family: str) -> None:
    for preset in memory_presets.presets_for(family):
        assert "base_model_precision" not in preset.settings


def test_large_families_quantise_more_as_the_presets_grow_and_full_fine_tunes_never() -> None:
    for family in ("flux", "sd3"):
        precisions = [p.settings.get("base_model_precision") for p in memory_presets.presets_for(family)]
        assert precisions == [None, "int8-quanto", "int4-quanto"]
        assert all("base_model_precision" not in p.settings for p in memory_presets.presets_for(family, "full"))


def test_an_unknown_family_is_refused() -> None:
    with pytest.raises(KeyError):
        memory_presets.presets_for("dalle")


def test_the_validity_check_notices_values_the_trainer_refuses(tmp_path: Path) -> None:
    assert problems_with({"base_model_precision": "nf4-bnb"}, "flux", "lora", tmp_path)
    assert problems_with({"base_model_precision": "int8-quanto"}, "flux", "full", tmp_path)
    assert problems_with({"train_batch_size": 0}, "flux", "lora", tmp_path)
