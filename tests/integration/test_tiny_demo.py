"""`simpletuner train --example tiny-demo` as a new user runs it: a fresh workspace, no network, a trained LoRA."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from safetensors.torch import load_file

from simpletuner.libs.testing.stack import isolated_env

STEPS = 20


def simpletuner_command() -> str:
    """The `simpletuner` script installed beside this interpreter (the one a user's shell would find)."""
    found = shutil.which("simpletuner", path=str(Path(sys.executable).parent))
    assert found, "the simpletuner console script is not installed in this environment"
    return found


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_tiny_demo_trains_offline_in_a_fresh_workspace_and_saves_a_lora(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    env = isolated_env(workspace, {"HF_HUB_OFFLINE": "1"})
    command = [simpletuner_command(), "train", "--example", "tiny-demo", "--max_train_steps", str(STEPS)]
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "status: completed" in done.stdout
    output = workspace / "output" / "tiny-demo"
    weights = load_file(str(output / "pytorch_lora_weights.safetensors"))
    assert weights and all(key.startswith("unet.") for key in weights)
    log = events(output / "events.jsonl")
    assert [int(e["training_progress"]["step"]) for e in log if "training_progress" in e] == list(range(1, STEPS + 1))
    statuses = [e["training_status_changed"]["status"] for e in log if "training_status_changed" in e]
    assert statuses[-1] == "TRAINING_STATUS_COMPLETED"
    final = [e["training_checkpoint_saved"] for e in log if e.get("training_checkpoint_saved", {}).get("is_final")]
    assert [Path(saved["path"]).name for saved in final] == ["pytorch_lora_weights.safetensors"]
