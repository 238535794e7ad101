"""The workspace's folders as the config service keeps them: saved choices survive a restart, defaults stay
defaults, a refused change saves nothing, and a damaged settings file says how to recover."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpletuner.libs.rpc.errors import InvalidArgument
from simpletuner.services.config.workspace_settings import Change, Folders, WorkspaceDirs


def dirs_in(workspace: Path) -> WorkspaceDirs:
    defaults = Folders(workspace / "configs", workspace / "datasets", workspace / "output")
    return WorkspaceDirs(workspace, defaults, workspace / "private" / "settings.json", workspace / "private")


def test_a_chosen_folder_is_in_effect_at_once_and_after_a_restart(tmp_path: Path) -> None:
    dirs = dirs_in(tmp_path)
    dirs.update(Change(folders={"configs_dir": str(tmp_path / "elsewhere")}, completed_steps=("configs",)))
    assert dirs.configs_dir == tmp_path / "elsewhere" and (tmp_path / "elsewhere").is_dir()
    restarted = dirs_in(tmp_path)
    assert restarted.configs_dir == tmp_path / "elsewhere"
    assert restarted.snapshot().completed_steps == ("configs",)


def test_choosing_the_default_folder_stores_no_override(tmp_path: Path) -> None:
    dirs = dirs_in(tmp_path)
    dirs.update(Change(folders={"output_dir": str(tmp_path / "output")}))
    assert '"output_dir": null' in (tmp_path / "private" / "settings.json").read_text()
    dirs.update(Change(folders={"output_dir": str(tmp_path / "runs")}))
    dirs.update(Change(folders={"output_dir": ""}))
    assert dirs.output_dir == tmp_path / "output"


def test_a_refused_folder_saves_none_of_the_change(tmp_path: Path) -> None:
    dirs = dirs_in(tmp_path)
    change = Change(folders={"datasets_dir": str(tmp_path / "fine"), "output_dir": "not/absolute"})
    with pytest.raises(InvalidArgument, match="output_dir must be an absolute path"):
        dirs.update(change)
    assert dirs.datasets_dir == tmp_path / "datasets"
    assert not (tmp_path / "private" / "settings.json").exists()


def test_steps_are_added_once_in_order_and_replaced_on_request(tmp_path: Path) -> None:
    dirs = dirs_in(tmp_path)
    dirs.update(Change(completed_steps=("configs",)))
    dirs.update(Change(completed_steps=("gpus", "configs")))
    assert dirs.snapshot().completed_steps == ("configs", "gpus")
    done = dirs.update(Change(completed_steps=(), replace_steps=True, onboarding_complete=False))
    assert done.completed_steps == () and done.onboarding_complete is False


def test_a_damaged_settings_file_names_itself_and_the_way_out(tmp_path: Path) -> None:
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "settings.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="delete it to go back to the default folders"):
        dirs_in(tmp_path)


def test_new_outputs_are_written_relative_to_the_workspace_when_inside_it(tmp_path: Path) -> None:
    dirs = dirs_in(tmp_path)
    assert dirs.output_path("my-env") == "output/my-env"
    outside = tmp_path.parent / f"{tmp_path.name}-runs"
    dirs.update(Change(folders={"output_dir": str(outside)}))
    assert dirs.output_path("my-env") == str(outside / "my-env")
