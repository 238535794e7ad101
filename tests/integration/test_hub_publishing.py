"""Hub publishing end to end: a tiny LoRA run with push_to_hub and push_checkpoints_to_hub completes, and the (fake)
Hub repository holds the final LoRA, its model card and the checkpoint, each upload announced to post_upload_script."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest
import torch

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.testing.fake_hub import running_fake_hub
from simpletuner.libs.testing.training import tiny_run_config
from simpletuner.services.trainer.engine.events import RunEvents
from simpletuner.services.trainer.engine.run_config import RunConfig
from simpletuner.services.trainer.engine.trainer import Trainer

pytestmark = pytest.mark.slow

TOKEN = "hf_run_owner_token"
RECORD = "import json, sys\nwith open(sys.argv[1], 'a') as f:\n    f.write(json.dumps(sys.argv[2:]) + '\\n')\n"


class Collected:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def write(self, event: ev.Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None

    def logs(self, severity: ev.LogSeverity) -> list[str]:
        return [
            e.training_log.message
            for e in self.events
            if e.HasField("training_log") and e.training_log.severity == severity
        ]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()  # tiny models on a shared 2-core machine: a second thread only spins
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")  # the tiny model is built here on first use, no download


def test_a_run_publishes_the_final_lora_its_card_and_each_checkpoint(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, uploads = tmp_path / "record.py", tmp_path / "uploads.jsonl"
    script.write_text(RECORD)
    raw = tiny_run_config(
        workspace,
        name="hub",
        push_to_hub=True,
        push_checkpoints_to_hub=True,
        hub_model_id="tiny-lora",
        checkpointing_steps=2,
        validation_prompt="a red circle",
        post_upload_script=shlex.join([sys.executable, str(script), str(uploads)]) + " {remote_checkpoint_path}",
    )
    with running_fake_hub(tmp_path / "hub", {TOKEN: "owner"}) as hub:
        monkeypatch.setenv("HF_TOKEN", TOKEN)  # the trainer service puts the owner's token here
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # tests/conftest.py turns it on
        sink = Collected()
        config = RunConfig.load(raw, workspace, workspace / "configs", job_id="hub")
        result = Trainer(config, RunEvents("hub", [sink])).run()

    assert result.status == ev.TRAINING_STATUS_COMPLETED and result.output is not None
    assert sink.logs(ev.LOG_SEVERITY_WARNING) == []
    repo = hub.repos["owner/tiny-lora"]
    output = Path(raw["output_dir"])
    folder = output / "checkpoint-2"
    checkpoint = {f"checkpoint-2/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()}
    assert set(repo.files) == {"pytorch_lora_weights.safetensors", "README.md"} | checkpoint
    assert repo.files["pytorch_lora_weights.safetensors"] == result.output.read_bytes()
    assert "a red circle" in repo.files["README.md"].decode() and repo.private
    checkpoint_url = f"{hub.url}/owner/tiny-lora/tree/"
    recorded = [json.loads(line)[0] for line in uploads.read_text().splitlines()]
    assert len(recorded) == 2 and recorded[0].startswith(checkpoint_url) and recorded[0].endswith("/checkpoint-2")
    assert recorded[1] == f"{hub.url}/owner/tiny-lora"
    assert not any(TOKEN.encode() in p.read_bytes() for p in output.rglob("*") if p.is_file())  # nor in any log
