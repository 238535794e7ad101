"""`simpletuner train` reads options as users type them and refuses bad ones before any model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simpletuner.services.trainer.engine import cli
from simpletuner.services.trainer.engine.run_config import ConfigError


def test_overrides_accept_spaces_equals_and_bare_flags() -> None:
    parsed = cli.split_overrides(
        ["--learning_rate", "1e-4", "--seed=7", "--gradient_checkpointing", "--lora_rank", "8"]
    )
    assert parsed == {"learning_rate": "1e-4", "seed": "7", "gradient_checkpointing": "true", "lora_rank": "8"}


def test_a_misspelt_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean --learning_rate"):
        cli.split_overrides(["--learnig_rate", "1e-4"])


def test_an_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.json").write_text("{}")
    args = cli.build_parser().parse_args(["--env", "missing"])
    with pytest.raises(ConfigError, match="known: mine"):
        cli.raw_config(args, tmp_path)


def test_environment_defaults_sit_under_the_environment_and_keys_lose_their_dashes(tmp_path: Path) -> None:
    for name, values in {"default": {"--seed": 1, "--lora_rank": 4}, "mine": {"--seed": 2}}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps(values))
    args = cli.build_parser().parse_args(["--env", "mine", "--use-environment-defaults"])
    assert cli.raw_config(args, tmp_path) == {"seed": 2, "lora_rank": 4}


def test_a_bad_config_exits_2_naming_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIMPLETUNER_WORKSPACE", str(tmp_path))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"--model_family": "nope", "--num_train_epochs": 0}))
    assert cli.main(["--config", str(config), "--learning_rate", "fast"]) == 2
    err = capsys.readouterr().err
    assert "--learning_rate" in err and "--model_family" in err and "--num_train_epochs" in err
