"""LyCORIS configs are checked against lycoris-lora's own format; every problem names its field."""

from __future__ import annotations

from typing import Any

import pytest

from simpletuner.services.config import lycoris


def errors(value: Any) -> dict[str, str]:
    return dict(lycoris.check(value).errors)


def warnings(value: Any) -> dict[str, str]:
    return dict(lycoris.check(value).warnings)


def test_simpletuners_default_lokr_config_is_valid_without_warnings() -> None:
    report = lycoris.check(lycoris.starter())
    assert report.valid and report.warnings == []
    assert lycoris.starter()["algo"] == "lokr" and lycoris.starter()["factor"] == 16
    assert lycoris.starter()["linear_dim"] == 10000 and lycoris.starter()["linear_alpha"] == 1


def test_algo_is_required_and_must_be_one_lycoris_knows() -> None:
    assert "algo is required" in errors({"linear_dim": 16})["algo"]
    assert "lokr" in errors({"algo": "lorax"})["algo"]
    for algo in ("lora", "locon", "loha", "lokr", "ia3", "dylora", "glora", "full", "diag-oft", "boft"):
        assert errors({"algo": algo}) == {}, algo


@pytest.mark.parametrize("key", ["linear_dim", "linear_alpha", "conv_dim", "conv_alpha"])
@pytest.mark.parametrize("value", [0, -4, "16", True, None])
def test_dims_and_alphas_must_be_positive_numbers(key: str, value: Any) -> None:
    assert "positive number" in errors({"algo": "lora", key: value})[key]


def test_multiplier_must_be_a_number() -> None:
    assert "must be a number" in errors({"algo": "lora", "multiplier": "1"})["multiplier"]
    assert errors({"algo": "lora", "multiplier": 0.5}) == {}


@pytest.mark.parametrize("factor", [0, -2, 2.5, "8", True])
def test_a_lokr_factor_is_minus_one_or_a_whole_number_of_at_least_one(factor: Any) -> None:
    assert "-1 (automatic) or at least 1" in errors({"algo": "lokr", "factor": factor})["factor"]


def test_factor_is_fine_for_lokr_and_a_warning_for_other_algorithms() -> None:
    assert errors({"algo": "lokr", "factor": -1}) == {} and warnings({"algo": "lokr", "factor": 4}) == {}
    assert "only read by lokr" in warnings({"algo": "loha", "factor": 4})["factor"]


def test_apply_preset_problems_name_the_nested_field() -> None:
    config = {
        "algo": "lokr",
        "apply_preset": {
            "target_module": "Attention",
            "target_name": ["to_q", 3],
            "module_algo_map": {"Attention": {"factor": 0}, "FeedForward": 8},
            "name_algo_map": {"to_k": {"algo": "nope", "linear_dim": -1}},
        },
    }
    found = errors(config)
    assert "list" in found["apply_preset.target_module"]
    assert "list" in found["apply_preset.target_name"]
    assert "at least 1" in found["apply_preset.module_algo_map.Attention.factor"]
    assert "object of settings" in found["apply_preset.module_algo_map.FeedForward"]
    assert "not one of" in found["apply_preset.name_algo_map.to_k.algo"]
    assert "positive" in found["apply_preset.name_algo_map.to_k.linear_dim"]


def test_algo_maps_must_be_objects_and_apply_preset_too() -> None:
    assert "object" in errors({"algo": "lokr", "apply_preset": ["Attention"]})["apply_preset"]
    preset = {"module_algo_map": ["Attention"]}
    assert "object" in errors({"algo": "lokr", "apply_preset": preset})["apply_preset.module_algo_map"]


def test_an_algo_map_entry_inherits_the_top_level_algo_for_the_factor_rule() -> None:
    preset = {"module_algo_map": {"Attention": {"factor": 8}, "FeedForward": {"algo": "loha", "factor": 4}}}
    found = warnings({"algo": "lokr", "apply_preset": preset})
    assert list(found) == ["apply_preset.module_algo_map.FeedForward.factor"]


def test_unknown_preset_keys_are_errors_because_lycoris_raises_on_them() -> None:
    found = errors({"algo": "lokr", "apply_preset": {"target_modules": ["Attention"]}})
    assert "target_module" in found["apply_preset.target_modules"]


def test_unknown_top_level_keys_are_kept_with_a_warning() -> None:
    report = lycoris.check({"algo": "lokr", "my_note": "keep me"})
    assert report.valid
    assert "kept as written" in dict(report.warnings)["my_note"]


def test_deprecated_keys_point_at_their_replacement() -> None:
    assert "use_tucker" in warnings({"algo": "locon", "use_cp": True})["use_cp"]


def test_dropouts_are_fractions_and_flags_are_booleans() -> None:
    found = errors({"algo": "lora", "dropout": 1.5, "use_tucker": "yes"})
    assert "0 to 1" in found["dropout"] and "true or false" in found["use_tucker"]


def test_text_that_is_not_json_or_not_an_object_is_an_error_naming_the_config() -> None:
    value, report = lycoris.check_text("{not json")
    assert value is None and "not valid JSON" in dict(report.errors)["lycoris_config"]
    assert "JSON object" in errors(["lokr"])["lycoris_config"]


def test_numbers_keep_their_spelling_through_check_text() -> None:
    value, report = lycoris.check_text('{"algo": "lokr", "multiplier": 1.0, "linear_alpha": 1e0}')
    assert report.valid and value["multiplier"].text == "1.0" and value["linear_alpha"].text == "1e0"
