"""Hook scripts: templates split into arguments before placeholders are filled, bad ones are refused before the run,
scripts run without a shell after each checkpoint and upload and in place of validation, and never stop training."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs import options
from simpletuner.libs.options import hooks as templates
from simpletuner.libs.options import validation
from simpletuner.libs.testing.training import tiny_run_config
from simpletuner.services.trainer.engine.events import RunEvents
from simpletuner.services.trainer.engine.hooks import Hooks, command, context
from simpletuner.services.trainer.engine.run_config import ConfigError, RunConfig
from simpletuner.services.trainer.engine.trainer import RunResult, Trainer

RECORD = "import json, sys\nwith open(sys.argv[1], 'a') as f:\n    f.write(json.dumps(sys.argv[2:]) + '\\n')\n"
FAIL = "import sys\nprint('something broke')\nsys.exit(3)\n"
# Hangs, and so does a child it started that holds the same output pipe.
SLEEP = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
    "time.sleep(30)\n"
)
# Waits until the test releases it (at most 60 s), then records whether it was released and its arguments.
GATED = (
    "import json, os, sys, time\n"
    "deadline = time.monotonic() + 60\n"
    "while not os.path.exists(sys.argv[1]) and time.monotonic() < deadline:\n"
    "    time.sleep(0.05)\n"
    "with open(sys.argv[2], 'a') as f:\n"
    "    f.write(json.dumps([os.path.exists(sys.argv[1]), *sys.argv[3:]]) + '\\n')\n"
)


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


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()  # tiny models on a shared 2-core machine: a second thread only spins
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")  # one per module: the tiny model is built once


@pytest.fixture(scope="module")
def scripts(workspace: Path) -> dict[str, str]:
    """name -> the quoted `python script.py` prefix of a template."""
    folder = workspace / "scripts"
    folder.mkdir(exist_ok=True)
    prefixes = {}
    for name, body in {"record": RECORD, "fail": FAIL, "sleep": SLEEP, "gated": GATED}.items():
        (folder / f"{name}.py").write_text(body)
        prefixes[name] = shlex.join([sys.executable, str(folder / f"{name}.py")])
    return prefixes


def plain_config(workspace: Path, **values: Any) -> RunConfig:
    defaults = {option.name: option.default for option in options.CATALOGUE}
    return RunConfig(defaults | {"output_dir": str(workspace / "output" / "plain")} | values, workspace)


def records(path: Path) -> list[list[Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def train(workspace: Path, raw: dict[str, Any]) -> tuple[Trainer, RunResult, Collected]:
    sink = Collected()
    config = RunConfig.load(raw, workspace, workspace / "configs", job_id="hooks")
    trainer = Trainer(config, RunEvents("hooks", [sink]))
    return trainer, trainer.run(), sink


# templates


def test_a_value_with_spaces_stays_one_argument(workspace: Path) -> None:
    config = plain_config(workspace, tracker_run_name="my first run", model_family="flux")
    values = context(config, 7, local=workspace / "a folder" / "checkpoint-7")
    argv = command("notify --run {tracker_run_name} 'step {global_step}' at={local_checkpoint_path}", values)
    assert argv == ["notify", "--run", "my first run", "step 7", f"at={workspace / 'a folder' / 'checkpoint-7'}"]


def test_values_are_never_shell_syntax(workspace: Path) -> None:
    config = plain_config(workspace, tracker_run_name="x; rm -rf / $(id) `id` 'q'")
    argv = command("echo {tracker_run_name}", context(config, 1))
    assert argv == ["echo", "x; rm -rf / $(id) `id` 'q'"]


def test_validation_values_and_the_run_context_fill_their_placeholders(workspace: Path) -> None:
    config = plain_config(
        workspace,
        validation_prompt="a red circle",
        validation_guidance=4.5,
        validation_num_inference_steps=20,
        validation_preview=True,
        hub_model_id="me/my-lora",
        model_type="lora",
        lora_type="lycoris",
    )
    template = (
        "run {validation_prompt} {validation_guidance} {validation_num_inference_steps} {validation_preview} "
        "{validation_seed} {huggingface_path} {model_type} {lora_type} {remote_checkpoint_path} {{literal}}"
    )
    argv = command(template, context(config, 3, remote="https://hub/me/my-lora"))
    assert argv == ["run", "a red circle", "4.5", "20", "true", "", "me/my-lora", "lora", "lycoris"] + [
        "https://hub/me/my-lora",
        "{literal}",
    ]


def test_every_placeholder_the_check_accepts_has_a_value(workspace: Path) -> None:
    assert set(context(plain_config(workspace), 0)) == set(templates.placeholders())


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("run {checkpoint}", "{checkpoint} is not a placeholder; use one of {local_checkpoint_path}"),
        ("run {global_step:05d}", "{global_step:05d} is not a placeholder"),
        ("run {}", "{} is not a placeholder"),
        ("run 'unclosed", "close its quotes"),
        ("run a}b", "write a literal brace as {{ or }}"),
        ("   ", "is empty"),
    ],
)
def test_a_bad_template_is_an_error_naming_the_problem(template: str, expected: str) -> None:
    with pytest.raises(templates.TemplateError) as caught:
        templates.parse(template)
    assert expected in str(caught.value)
    if "placeholder" in expected:
        assert "{validation_guidance}" in str(caught.value)  # the valid ones are listed


def test_the_config_check_refuses_a_bad_template_before_the_run(tmp_path: Path) -> None:
    values = {option.name: option.default for option in options.CATALOGUE} | {
        "max_train_steps": 4,
        "post_checkpoint_script": "/opt/hooks/eval.sh {checkpoint_path}",
        "validation_method": "external-script",
    }
    report = validation.check(values, {"max_train_steps"}, tmp_path, tmp_path)
    fields = dict(report.errors)
    assert "{checkpoint_path} is not a placeholder" in fields["post_checkpoint_script"]
    assert "required when validation_method is external-script" in fields["validation_external_script"]
    good = values | {"post_checkpoint_script": "/opt/hooks/eval.sh {local_checkpoint_path} {global_step}"}
    good |= {"validation_external_script": "/opt/validate {local_checkpoint_path}"}
    names = {name for name, _ in validation.check(good, {"max_train_steps"}, tmp_path, tmp_path).errors}
    assert not names & {"post_checkpoint_script", "validation_external_script"}


# running scripts directly


def test_after_upload_runs_the_post_upload_script_with_the_remote_path(
    workspace: Path, scripts: dict[str, str]
) -> None:
    out = workspace / "upload.jsonl"
    template = f"{scripts['record']} {out} {{remote_checkpoint_path}} {{huggingface_path}} {{local_checkpoint_path}}"
    sink = Collected()
    config = plain_config(workspace, post_upload_script=template, hub_model_id="me/lora")
    Hooks(config, RunEvents("t", [sink])).after_upload("https://hf.co/me/lora/tree/main", 12, local_path="/o/c-12")
    assert records(out) == [["https://hf.co/me/lora/tree/main", "me/lora", "/o/c-12"]]
    assert any(m.startswith("post_upload_script finished") for m in sink.logs(ev.LOG_SEVERITY_INFO))


def test_a_failing_or_missing_or_hung_script_is_a_warning_not_an_exception(
    workspace: Path, scripts: dict[str, str]
) -> None:
    sink = Collected()
    started = time.monotonic()
    for template in (scripts["fail"], "/no/such/program {global_step}", scripts["sleep"]):
        config = plain_config(workspace, post_checkpoint_script=template)
        Hooks(config, RunEvents("t", [sink]), timeout_s=1).after_checkpoint(workspace / "checkpoint-1", 1)
    assert time.monotonic() - started < 20  # neither the hung script nor its child (30 s each) held training
    warnings = sink.logs(ev.LOG_SEVERITY_WARNING)
    assert warnings[0] == "post_checkpoint_script exited with status 3; training goes on"
    assert "post_checkpoint_script: something broke" in sink.logs(ev.LOG_SEVERITY_INFO)  # its output is logged
    assert "could not start '/no/such/program'" in warnings[1] and "executable" in warnings[1]
    assert warnings[2] == "post_checkpoint_script killed after 1 s; make it finish sooner"


def test_a_background_validation_script_does_not_hold_the_caller_and_is_reaped(
    workspace: Path, scripts: dict[str, str]
) -> None:
    release, out = workspace / "release-direct", workspace / "background-direct.jsonl"
    template = f"{scripts['gated']} {release} {out} {{local_checkpoint_path}} {{global_step}}"
    sink = Collected()
    config = plain_config(workspace, validation_external_script=template, validation_external_background=True)
    hooks = Hooks(config, RunEvents("t", [sink]))
    started = time.monotonic()
    hooks.validate(workspace / "checkpoint-3", 3)
    assert time.monotonic() - started < 10 and records(out) == []  # returned while the script still waits
    release.touch()
    hooks.join(30)
    assert records(out) == [[True, str(workspace / "checkpoint-3"), "3"]]
    assert not any(thread.is_alive() for thread in hooks.threads)  # waited for: no zombie left
    assert any("finished (output in" in m for m in sink.logs(ev.LOG_SEVERITY_INFO))


def test_external_validation_before_any_checkpoint_is_skipped_with_a_warning(workspace: Path) -> None:
    sink = Collected()
    config = plain_config(workspace, validation_external_script="/opt/validate {local_checkpoint_path}")
    Hooks(config, RunEvents("t", [sink])).validate(None, 3)
    assert sink.logs() == [
        "validation_external_script skipped: no checkpoint saved yet; set checkpointing_steps so that one is saved "
        "before each validation"
    ]


# in a training run


@pytest.fixture(scope="module")
def blocking_run(workspace: Path, scripts: dict[str, str]) -> tuple[RunResult, Collected, Path, Path]:
    """Five steps, a checkpoint and an external validation every two, both scripts recording their arguments."""
    checkpoints, validations = workspace / "checkpoints.jsonl", workspace / "validations.jsonl"
    placeholders = "{local_checkpoint_path} {global_step} {remote_checkpoint_path}"
    raw = tiny_run_config(
        workspace,
        name="blocking",
        max_train_steps=5,
        checkpointing_steps=2,
        validation_steps=2,
        post_checkpoint_script=f"{scripts['record']} {checkpoints} {placeholders}",
        validation_method="external-script",
        validation_external_script=f"{scripts['record']} {validations} {placeholders} {{validation_resolution}}",
    )
    _, result, sink = train(workspace, raw)
    return result, sink, checkpoints, validations


def test_post_checkpoint_script_runs_once_per_sealed_checkpoint(workspace: Path, blocking_run: tuple[Any, ...]) -> None:
    result, _, checkpoints, _ = blocking_run
    assert result.status == ev.TRAINING_STATUS_COMPLETED
    recorded = records(checkpoints)
    assert [(Path(path).name, step, remote) for path, step, remote in recorded] == [
        ("checkpoint-2", "2", ""),
        ("checkpoint-4", "4", ""),
    ]
    output = workspace / "output" / "blocking"
    assert all(Path(path).parent == output and (Path(path) / "manifest.json").is_file() for path, *_ in recorded)


def test_external_validation_replaces_the_sampler_and_gets_the_newest_checkpoint_then_the_final_model(
    blocking_run: tuple[Any, ...],
) -> None:
    result, sink, _, validations = blocking_run
    recorded = records(validations)
    assert [(Path(path).name, step, remote, size) for path, step, remote, size in recorded] == [
        ("checkpoint-2", "2", "", "64"),
        ("checkpoint-4", "4", "", "64"),
        (result.output.name, "5", "", "64"),
    ]
    assert not any(e.HasField("validation_image") for e in sink.events)  # the built-in sampler did not run
    assert not sink.logs(ev.LOG_SEVERITY_WARNING)


def test_a_failing_checkpoint_script_warns_and_background_validation_never_holds_training(
    workspace: Path, scripts: dict[str, str]
) -> None:
    release, out = workspace / "release-run", workspace / "background-run.jsonl"
    raw = tiny_run_config(
        workspace,
        name="background",
        max_train_steps=2,
        checkpointing_steps=1,
        validation_steps=1,
        post_checkpoint_script=f"{scripts['fail']} {{local_checkpoint_path}}",
        validation_method="external-script",
        validation_external_script=f"{scripts['gated']} {release} {out} {{local_checkpoint_path}} {{global_step}}",
        validation_external_background=True,
    )
    trainer, result, sink = train(workspace, raw)
    assert result.status == ev.TRAINING_STATUS_COMPLETED and result.step == 2
    assert "post_checkpoint_script exited with status 3; training goes on" in sink.logs(ev.LOG_SEVERITY_WARNING)
    assert records(out) == []  # both validations still wait: training finished without them
    release.touch()
    trainer.hooks.join(60)
    recorded = records(out)
    assert sorted((released, Path(path).name, step) for released, path, step in recorded) == [
        (True, "checkpoint-1", "1"),
        (True, result.output.name, "2"),
    ]
    assert (result.output.parent / "hook_logs" / "validation_external_script-step1.log").is_file()


def test_a_config_with_a_bad_template_does_not_load(workspace: Path) -> None:
    raw = tiny_run_config(workspace, name="bad", post_checkpoint_script="eval {step}")
    with pytest.raises(ConfigError, match=r"--post_checkpoint_script: \{step\} is not a placeholder"):
        RunConfig.load(raw, workspace, workspace / "configs")
