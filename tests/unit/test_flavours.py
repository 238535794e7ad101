"""The flavour catalogue and the wizard's training presets: every setting is a real option with a valid value,
every family has its usual release, and the validator checks --model_flavour against the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.options import BY_NAME, MODEL_FAMILIES, Kind, flavours, training_presets, validation

TYPES: dict[Kind, tuple[type, ...]] = {
    Kind.BOOL: (bool,),
    Kind.INT: (int,),
    Kind.FLOAT: (int, float),
    Kind.STRING: (str,),
    Kind.PATH: (str,),
    Kind.CHOICE: (str,),
}


def problems_of(family: str, settings: dict[str, Any], tmp_path: Path) -> list[str]:
    """What the catalogue says is wrong with these settings: unknown names, wrong types, refused values."""
    found = []
    for name, value in settings.items():
        option = BY_NAME.get(name)
        if option is None:
            found.append(f"{name} is not a catalogue option")
            continue
        if not isinstance(value, TYPES.get(option.kind, (object,))) or (
            option.kind != Kind.BOOL and isinstance(value, bool)
        ):
            found.append(f"{name}={value!r} is not a {option.kind.value}")
        if not option.applies_to(family):
            found.append(f"{name} does not apply to {family}")
    config = {"model_family": family, **settings}
    report = validation.check(config, set(config), tmp_path, tmp_path)
    found += [f"{name}: {message}" for name, message in report.errors if name in settings]
    return found


@pytest.mark.parametrize("flavour", flavours.FLAVOURS, ids=lambda f: f"{f.family}-{f.name}")
def test_every_flavour_presets_only_real_options_with_values_the_validator_accepts(
    flavour: flavours.Flavour, tmp_path: Path
) -> None:
    assert problems_of(flavour.family, dict(flavour.settings), tmp_path) == []


@pytest.mark.parametrize("flavour", flavours.FLAVOURS, ids=lambda f: f"{f.family}-{f.name}")
def test_every_flavour_names_a_hub_repository_of_a_known_family(flavour: flavours.Flavour) -> None:
    assert flavour.family in MODEL_FAMILIES
    owner, _, repo = flavour.pretrained_model_name_or_path.partition("/")
    assert owner and repo and "/" not in repo, flavour.pretrained_model_name_or_path
    assert flavour.label and flavour.description.endswith(".")


def test_the_flavour_families_are_the_trainers_families_in_order() -> None:
    assert tuple(flavours.FAMILIES) == MODEL_FAMILIES


@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_every_family_has_exactly_one_usual_release_offered_first(family: str) -> None:
    listed = flavours.flavours_of(family)
    assert [flavour.default for flavour in listed].count(True) == 1
    assert listed[0].default and flavours.default_of(family) == listed[0]
    assert len(set(flavours.names_of(family))) == len(listed), "flavour names repeat"


def test_the_releases_the_seeds_and_examples_name_are_flavours() -> None:
    named = {("pixart_sigma", "900M-1024-v0.6"), ("flux", "kontext"), ("flux", "dev"), ("flux", "schnell")}
    assert all(flavours.find(family, name) for family, name in named)
    assert flavours.find("flux", "no-such-flavour") is None


def test_quantisation_is_advised_except_for_stable_diffusion_pixart_and_sana() -> None:
    advised = {name for name, family in flavours.FAMILIES.items() if family.quantisation_advised}
    assert advised == {"sd3", "flux"}
    for family in flavours.FAMILIES.values():
        precision = BY_NAME["base_model_precision"]
        assert family.recommended_precision in precision.choices
        assert family.quantisation()["advice"]
    assert "int8-quanto" in flavours.FAMILIES["flux"].quantisation_advice
    assert "PixArt" in flavours.FAMILIES["pixart_sigma"].quantisation_advice


def test_an_unknown_family_has_no_flavours() -> None:
    with pytest.raises(KeyError):
        flavours.flavours_of("auraflow")


def validate(config: dict[str, Any], tmp_path: Path) -> list[tuple[str, str]]:
    return validation.check(config, set(config), tmp_path, tmp_path).errors


def test_the_validator_refuses_a_flavour_of_another_family_and_lists_the_right_ones(tmp_path: Path) -> None:
    errors = dict(validate({"model_family": "sdxl", "model_flavour": "dev"}, tmp_path))
    assert "model_flavour" in errors
    assert "'dev' is not a flavour of sdxl" in errors["model_flavour"]
    assert "base-1.0" in errors["model_flavour"] and "base-0.9" in errors["model_flavour"]


def test_the_validator_accepts_a_known_flavour_or_none(tmp_path: Path) -> None:
    for flavour in ("schnell", "", None):
        errors = dict(validate({"model_family": "flux", "model_flavour": flavour}, tmp_path))
        assert "model_flavour" not in errors, errors


def test_a_flavour_of_an_unknown_family_is_left_to_the_family_check(tmp_path: Path) -> None:
    errors = validate({"model_family": "auraflow", "model_flavour": "dev"}, tmp_path)
    assert [name for name, _ in errors if name in ("model_family", "model_flavour")] == ["model_family"]


@pytest.mark.parametrize("model_type", training_presets.MODEL_TYPES)
def test_each_model_type_has_at_least_three_presets_of_real_options(model_type: str, tmp_path: Path) -> None:
    presets = training_presets.presets_for(model_type)
    assert len(presets) >= 3
    assert len({preset.name for preset in presets}) == len(presets)
    for preset in presets:
        assert problems_of("flux", dict(preset.settings), tmp_path) == [], preset.name
        assert {"learning_rate", "optimizer", "train_batch_size"} <= set(preset.settings)


def test_full_fine_tunes_start_at_lower_learning_rates_than_loras() -> None:
    def rates(model_type: str) -> list[float]:
        return [preset.settings["learning_rate"] for preset in training_presets.presets_for(model_type)]

    adam_lora = [
        preset.settings["learning_rate"]
        for preset in training_presets.presets_for("lora")
        if preset.settings["optimizer"] != "prodigy"
    ]
    assert max(rates("full")) < min(adam_lora)
