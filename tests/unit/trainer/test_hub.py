"""Hub publishing against a local fake Hub: the final model and its card go to a private repository (only the model
files), checkpoints under checkpoint-<step>/, each upload fires post_upload_script with its URL, and a failed
upload is a warning that says how to retry, never an exception; the config check refuses what cannot upload."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
from huggingface_hub import ModelCard

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs import options
from simpletuner.libs.net import free_port
from simpletuner.libs.options import validation
from simpletuner.libs.testing.fake_hub import FakeHub, HubRepo, running_fake_hub
from simpletuner.services.trainer.engine.events import RunEvents
from simpletuner.services.trainer.engine.hooks import Hooks
from simpletuner.services.trainer.engine.hub import HubUploader, model_card
from simpletuner.services.trainer.engine.run_config import RunConfig

TOKEN = "hf_alice_write_token"
LORA = "pytorch_lora_weights.safetensors"
HUB_OPTIONS = ("push_to_hub", "hub_model_id", "push_checkpoints_to_hub")
RECORD = "import json, sys\nwith open(sys.argv[1], 'a') as f:\n    f.write(json.dumps(sys.argv[2:]) + '\\n')\n"


class Collected:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def write(self, event: ev.Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None

    def logs(self, severity: ev.LogSeverity | None = None) -> list[str]:
        return [
            e.training_log.message
            for e in self.events
            if e.HasField("training_log") and severity in (None, e.training_log.severity)
        ]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHub]:
    with running_fake_hub(tmp_path_factory.mktemp("hub"), {TOKEN: "alice"}, {"alice": ["team"]}) as running:
        yield running


@pytest.fixture(autouse=True)
def online(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's environment: the owner's token and the Hub to use; offline mode (tests/conftest.py) off."""
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


def config_for(output: Path, **values: Any) -> RunConfig:
    defaults = {option.name: option.default for option in options.CATALOGUE}
    chosen = {
        "model_family": "sd1x",
        "pretrained_model_name_or_path": "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "output_dir": str(output),
        "push_to_hub": True,
        "lora_rank": 4,
        "learning_rate": 1e-3,
        "train_batch_size": 2,
        "resolution": 64,
    }
    return RunConfig(defaults | chosen | values, output.parent)


def uploader(config: RunConfig) -> tuple[HubUploader, Collected]:
    sink = Collected()
    events = RunEvents("hub", [sink])
    return HubUploader(config, events, Hooks(config, events)), sink


def lora_output(folder: Path) -> Path:
    """What a LoRA run leaves in output_dir: the LoRA beside a checkpoint, hook logs and validation images."""
    (folder / "checkpoint-2").mkdir(parents=True)
    (folder / "checkpoint-2" / "trainable.safetensors").write_bytes(b"checkpoint weights")
    (folder / "hook_logs").mkdir()
    (folder / "hook_logs" / "validation_external_script-step2.log").write_text("log")
    (folder / "validation_images").mkdir()
    (folder / "validation_images" / "step-4.png").write_bytes(b"png")
    (folder / "events.jsonl").write_text("{}\n")
    (folder / LORA).write_bytes(b"final lora weights")
    return folder / LORA


def test_the_final_lora_and_its_card_alone_go_to_a_private_repository(hub: FakeHub, tmp_path: Path) -> None:
    saved = lora_output(tmp_path / "out")
    publisher, sink = uploader(config_for(tmp_path / "out", hub_model_id="final-lora"))
    remote = publisher.upload_final(saved, 4, ["a red circle"])
    repo = hub.repos["alice/final-lora"]  # a name without an owner belongs to the token's user
    assert remote == f"{hub.url}/alice/final-lora"
    assert repo.private is True  # model_card_private defaults to true
    assert set(repo.files) == {LORA, "README.md"}
    assert repo.files[LORA] == b"final lora weights"
    assert repo.files["README.md"] == (tmp_path / "out" / "README.md").read_bytes()  # the card stays beside it
    assert repo.commits == ["Upload the final model (step 4)"]
    assert sink.logs() == [
        "Uploading the final model to final-lora",
        f"Uploaded the final model ({hub.url}/alice/final-lora)",
    ]


def test_model_card_private_off_makes_a_public_repository_in_an_organisation(hub: FakeHub, tmp_path: Path) -> None:
    saved = lora_output(tmp_path / "out")
    publisher, _ = uploader(config_for(tmp_path / "out", hub_model_id="team/shared-lora", model_card_private=False))
    assert publisher.upload_final(saved, 4, []) == f"{hub.url}/team/shared-lora"
    assert hub.repos["team/shared-lora"].private is False


def test_a_full_fine_tune_uploads_its_pipeline_folder_with_the_card(hub: FakeHub, tmp_path: Path) -> None:
    output = tmp_path / "out"
    pipeline = output / "pipeline"
    (pipeline / "unet").mkdir(parents=True)
    (pipeline / "model_index.json").write_text("{}")
    (pipeline / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"unet")
    (output / "checkpoint-1").mkdir()
    (output / "checkpoint-1" / "model.safetensors").write_bytes(b"checkpoint")
    publisher, _ = uploader(config_for(output, hub_model_id="full-model", model_type="full"))
    publisher.upload_final(pipeline, 3, [])
    files = hub.repos["alice/full-model"].files
    assert set(files) == {"model_index.json", "unet/diffusion_pytorch_model.safetensors", "README.md"}
    assert "full-fine-tune" in ModelCard(files["README.md"].decode()).data.to_dict()["tags"]


def test_the_card_carries_metadata_the_note_prompts_and_settings(tmp_path: Path) -> None:
    config = config_for(
        tmp_path / "out", hub_model_id="me/card-lora", model_card_note="Use the trigger word *zorb*.", lora_alpha=8
    )
    card = model_card(config, ["a red circle", "a blue | square"], 4)
    data = card.data.to_dict()
    assert data["base_model"] == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert data["library_name"] == "diffusers"
    assert {"diffusers", "lora", "sd1x", "text-to-image"} <= set(data["tags"])
    body = card.text.strip()
    assert body.startswith("Use the trigger word *zorb*.")  # the note comes first
    assert "- a red circle" in body and "- a blue \\| square" in body
    for row in ("| model family | sd1x |", "| model type | lora |", "| LoRA rank / alpha | 4 / 8 |", "| steps | 4 |"):
        assert row in body
    for row in ("| learning rate | 0.001 |", "| batch size | 2 |", "| resolution | 64 |"):
        assert row in body


@pytest.mark.parametrize("base", ["simpletuner/tiny-sd1x", "models/local-folder", ""])
def test_the_card_names_a_base_model_only_when_it_is_a_hub_repository(tmp_path: Path, base: str) -> None:
    (tmp_path / "models" / "local-folder").mkdir(parents=True)
    card = model_card(config_for(tmp_path / "out", hub_model_id="x", pretrained_model_name_or_path=base), [], 1)
    assert "base_model" not in card.data.to_dict()


def test_a_checkpoint_goes_under_checkpoint_step_and_fires_the_post_upload_script(hub: FakeHub, tmp_path: Path) -> None:
    script, out = tmp_path / "record.py", tmp_path / "uploads.jsonl"
    script.write_text(RECORD)
    template = shlex.join([sys.executable, str(script), str(out)]) + " {remote_checkpoint_path} {global_step}"
    config = config_for(
        tmp_path / "out", hub_model_id="alice/ckpt-lora", push_checkpoints_to_hub=True, post_upload_script=template
    )
    saved = lora_output(tmp_path / "out")
    publisher, _ = uploader(config)
    remote = publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2)
    repo = hub.repos["alice/ckpt-lora"]
    assert remote == f"{hub.url}/alice/ckpt-lora/tree/{repo.sha}/checkpoint-2"
    assert set(repo.files) == {"checkpoint-2/trainable.safetensors"}
    final = publisher.upload_final(saved, 4, [])
    assert [json.loads(line) for line in out.read_text().splitlines()] == [[remote, "2"], [final, "4"]]
    assert repo.commits == ["Upload checkpoint-2 (step 2)", "Upload the final model (step 4)"]


def test_checkpoints_stay_local_unless_push_checkpoints_to_hub(hub: FakeHub, tmp_path: Path) -> None:
    lora_output(tmp_path / "out")
    publisher, sink = uploader(config_for(tmp_path / "out", hub_model_id="no-checkpoints"))
    assert publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2) is None
    assert "alice/no-checkpoints" not in hub.repos and sink.logs() == []


def test_the_repository_is_created_once_per_run(hub: FakeHub, tmp_path: Path) -> None:
    lora_output(tmp_path / "out")
    config = config_for(tmp_path / "out", hub_model_id="once", push_checkpoints_to_hub=True)
    publisher, _ = uploader(config)
    before = hub.requests.count(("POST", "/api/repos/create"))
    publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2)
    publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2)  # unchanged: no new commit, still no error
    assert hub.requests.count(("POST", "/api/repos/create")) == before + 1


def warning_of(sink: Collected) -> str:
    warnings = sink.logs(ev.LOG_SEVERITY_WARNING)
    assert len(warnings) == 1, sink.logs()
    return warnings[0]


def test_a_repository_the_token_cannot_write_is_a_warning_with_the_command_to_retry(
    hub: FakeHub, tmp_path: Path
) -> None:
    saved = lora_output(tmp_path / "out")
    publisher, sink = uploader(config_for(tmp_path / "out", hub_model_id="bob/not-mine"))
    assert publisher.upload_final(saved, 4, []) is None  # no exception: the run goes on
    warning = warning_of(sink)
    assert "Uploading the final model to bob/not-mine failed" in warning and "403" in warning
    assert f"hf upload bob/not-mine {tmp_path / 'out'} --include {LORA} --include README.md --private" in warning
    assert saved.read_bytes() == b"final lora weights" and "bob/not-mine" not in hub.repos


def test_a_refused_commit_to_someone_elses_public_repository_is_a_warning(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub 2.4's create_repo(exist_ok) parses an existing repository's URL against the endpoint it read
    # at import: a run process started with HF_ENDPOINT set has the two agree, as here
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.url)
    hub.repos["bob/public-lora"] = HubRepo(private=False)  # readable, so create_repo(exist_ok) goes on to upload
    lora_output(tmp_path / "out")
    config = config_for(tmp_path / "out", hub_model_id="bob/public-lora", push_checkpoints_to_hub=True)
    publisher, sink = uploader(config)
    assert publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2) is None
    warning = warning_of(sink)
    assert "403" in warning and "You don't have the rights to write to bob/public-lora" in warning
    assert f"hf upload bob/public-lora {tmp_path / 'out' / 'checkpoint-2'} checkpoint-2 --private" in warning
    assert hub.repos["bob/public-lora"].files == {}


@pytest.mark.parametrize("token", ["hf_not_a_known_token", ""])
def test_a_refused_or_missing_token_says_to_save_one_in_the_publishing_tab(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("HF_TOKEN", token)
    (tmp_path / "out" / "checkpoint-2").mkdir(parents=True)
    config = config_for(tmp_path / "out", hub_model_id="refused", push_checkpoints_to_hub=True)
    publisher, sink = uploader(config)
    assert publisher.upload_checkpoint(tmp_path / "out" / "checkpoint-2", 2) is None
    warning = warning_of(sink)
    assert "save a valid Hub token in the Publishing tab (POST /api/publishing/token/save)" in warning
    assert ("401" in warning) == bool(token)
    if token:
        assert not any(token in message for message in sink.logs())  # the token is never logged


def test_an_unreachable_hub_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    saved = lora_output(tmp_path / "out")
    publisher, sink = uploader(config_for(tmp_path / "out", hub_model_id="unreachable"))
    assert publisher.upload_final(saved, 4, []) is None
    assert "ConnectError" in warning_of(sink)


def test_offline_mode_is_named_as_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    saved = lora_output(tmp_path / "out")
    publisher, sink = uploader(config_for(tmp_path / "out", hub_model_id="offline"))
    assert publisher.upload_final(saved, 4, []) is None
    assert "HF_HUB_OFFLINE is set" in warning_of(sink)


# the config check


def hub_errors(**values: Any) -> dict[str, str]:
    """The config check's errors on the Hub options (the rest of this partial config is not the point)."""
    config = {option.name: option.default for option in options.CATALOGUE} | values
    report = validation.check(config, set(values), Path("/nonexistent"), Path("/nonexistent"))
    return {name: message for name, message in report.errors if name in HUB_OPTIONS}


def test_push_to_hub_with_a_repository_is_accepted_with_or_without_an_owner() -> None:
    assert hub_errors(push_to_hub=True, hub_model_id="my-lora", push_checkpoints_to_hub=True) == {}
    assert hub_errors(push_to_hub=True, hub_model_id="team/my-lora") == {}


def test_push_to_hub_without_a_repository_is_refused_on_hub_model_id() -> None:
    assert "set the repository to upload to, as name or owner/name" in hub_errors(push_to_hub=True)["hub_model_id"]


@pytest.mark.parametrize(
    ("repo", "problem"),
    [
        ("https://huggingface.co/me/lora", "not a URL"),
        ("me/lora--v2", "'--' or '..'"),
        ("me/my lora", "letters, digits"),
    ],
)
def test_an_invalid_repository_id_is_refused_with_what_is_wrong(repo: str, problem: str) -> None:
    message = hub_errors(push_to_hub=True, hub_model_id=repo)["hub_model_id"]
    assert message.startswith(f"{repo!r} is not a Hub repository id") and problem in message


def test_checkpoints_to_the_hub_need_push_to_hub() -> None:
    errors = hub_errors(push_checkpoints_to_hub=True, hub_model_id="me/lora")
    assert errors == {"push_checkpoints_to_hub": errors["push_checkpoints_to_hub"]}
    assert "turn push_to_hub on too, or leave it off" in errors["push_checkpoints_to_hub"]
