"""What a run process starts with: its own GPUs and its owner's Hub token, never the starting service's."""

from __future__ import annotations

import pytest

from simpletuner.services.trainer.engine.run_config import HUB_TOKEN_VARIABLE
from simpletuner.services.trainer.run_process import run_environment


def test_a_run_gets_its_owners_hub_token_in_place_of_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HUB_TOKEN_VARIABLE, "hf_the_services_own_token")
    assert run_environment(None, "hf_owner")[HUB_TOKEN_VARIABLE] == "hf_owner"
    assert HUB_TOKEN_VARIABLE not in run_environment(None)  # an owner without a token uploads nothing as anyone


def test_only_the_runs_own_gpus_are_visible_unless_there_are_none_to_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert run_environment([2, 3])["CUDA_VISIBLE_DEVICES"] == "2,3"
    assert run_environment(None)["CUDA_VISIBLE_DEVICES"] == ""  # a CPU node's setting is left as it is
