"""The validator's DeepSpeed and FSDP rules: what trains is accepted, what cannot is refused with the fix."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs import options
from simpletuner.libs.options import validation


def problems(tmp_path: Path, **values: Any) -> dict[str, str]:
    """The validator's errors by field (joined) for catalogue defaults plus `values` (a full fine-tune unless told)."""
    config = {option.name: option.default for option in options.CATALOGUE}
    config |= {"model_family": "sd1x", "model_type": "full", "pretrained_model_name_or_path": "m", "output_dir": "o"}
    config |= {"max_train_steps": 4}
    config |= values
    report = validation.check(config, set(values), tmp_path, tmp_path)
    found: dict[str, str] = {}
    for name, message in report.errors:
        found[name] = f"{found[name]} | {message}" if name in found else message
    found.pop("data_backend_config", None)
    return found


@pytest.fixture
def deepspeed_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The validator only looks deepspeed up; pretend it is there so these rules run without the extra."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: object() if name == "deepspeed" else real(name, *a)
    )


def test_a_full_fine_tune_with_zero_1_or_2_or_fsdp2_is_accepted(tmp_path: Path, deepspeed_installed: None) -> None:
    for values in ({"deepspeed_stage": "1"}, {"deepspeed_stage": "2"}, {"fsdp_enable": True}):
        assert problems(tmp_path, **values) == {}, values


def test_deepspeed_without_the_extra_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "deepspeed" else real(name, *a))
    assert "pip install 'simpletuner[deepspeed]'" in problems(tmp_path, deepspeed_stage="2")["deepspeed_stage"]


def test_zero_3_and_fsdp1_are_refused_with_the_fix(tmp_path: Path, deepspeed_installed: None) -> None:
    assert "use deepspeed_stage 2" in problems(tmp_path, deepspeed_stage="3")["deepspeed_stage"]
    assert "use fsdp_version 2" in problems(tmp_path, fsdp_enable=True, fsdp_version=1)["fsdp_version"]


def test_deepspeed_and_fsdp_are_for_full_fine_tunes_and_exclusive(tmp_path: Path, deepspeed_installed: None) -> None:
    lora = problems(tmp_path, model_type="lora", deepspeed_config="{}", fsdp_enable=True)
    assert "full fine-tunes" in lora["deepspeed_config"]
    both = problems(tmp_path, deepspeed_stage="2", fsdp_enable=True)
    assert "cannot be enabled together" in both["fsdp_enable"]
    assert "set model_type full" in problems(tmp_path, model_type="lora", fsdp_enable=True)["fsdp_enable"]


def test_fsdp_refuses_main_process_validation_which_would_hang_the_other_ranks(tmp_path: Path) -> None:
    found = problems(tmp_path, fsdp_enable=True, validation_prompt="a red circle")
    assert "leave validation_prompt empty" in found["validation_prompt"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "not found"),
        ("{not json", "not valid JSON"),
        ({"train_batch_size": 8}, "zero_optimization section"),
        ({"zero_optimization": {"stage": 2}, "optimizer": {"type": "Adam"}}, "the run's optimizer option"),
        ({"zero_optimization": {"stage": 2}, "scheduler": {"type": "WarmupLR"}}, "the run's lr_scheduler option"),
        ({"zero_optimization": {"stage": 3}}, "use deepspeed_stage 2"),
    ],
)
def test_a_deepspeed_config_file_is_checked_before_the_run(
    tmp_path: Path, deepspeed_installed: None, content: Any, expected: str
) -> None:
    path = tmp_path / "ds.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    assert expected in problems(tmp_path, deepspeed_config=str(path))["deepspeed_config"]


def test_a_deepspeed_config_may_be_inline_json_or_a_file_beside_the_environments(
    tmp_path: Path, deepspeed_installed: None
) -> None:
    (tmp_path / "ds.json").write_text(json.dumps({"zero_optimization": {"stage": 1}}))
    assert problems(tmp_path, deepspeed_config="ds.json") == {}
    assert problems(tmp_path, deepspeed_config='{"zero_optimization": {"stage": 2}}') == {}
    assert validation.read_deepspeed_config("ds.json", tmp_path, tmp_path) == {"zero_optimization": {"stage": 1}}


def test_optimizer_offload_is_refused_for_optimizers_deepspeed_would_swap_for_its_cpu_adam(
    tmp_path: Path, deepspeed_installed: None
) -> None:
    offload = json.dumps({"zero_optimization": {"stage": 2, "offload_optimizer": {"device": "cpu"}}})
    assert "use optimizer adamw" in problems(tmp_path, deepspeed_config=offload, optimizer="prodigy")["optimizer"]
    assert problems(tmp_path, deepspeed_config=offload, optimizer="adamw") == {}
