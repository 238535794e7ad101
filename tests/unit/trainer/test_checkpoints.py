"""Checkpoints are complete or absent: sealed by a manifest, renamed into place, pruned only afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simpletuner.services.trainer.engine.checkpoints import MANIFEST, CheckpointError, Checkpoints


def write_files(contents: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def write(folder: Path) -> None:
        folder.mkdir(parents=True)
        for name, data in contents.items():
            (folder / name).write_bytes(data)

    return write


def test_a_saved_checkpoint_carries_a_manifest_of_its_file_hashes(tmp_path: Path) -> None:
    store = Checkpoints(tmp_path, total_limit=None)
    folder = store.save(4, write_files({"a.bin": b"alpha", "b.bin": b"beta"}))
    assert folder == tmp_path / "checkpoint-4"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["step"] == 4 and sorted(manifest["files"]) == ["a.bin", "b.bin"]
    store.verify(folder)


def test_a_writer_that_fails_leaves_no_checkpoint_and_no_partial_folder(tmp_path: Path) -> None:
    store = Checkpoints(tmp_path, total_limit=None)

    def crash(folder: Path) -> None:
        folder.mkdir()
        (folder / "half.bin").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        store.save(2, crash)
    assert list(tmp_path.iterdir()) == []


def test_old_checkpoints_are_pruned_only_after_the_new_one_is_complete(tmp_path: Path) -> None:
    store = Checkpoints(tmp_path, total_limit=2)
    for step in (1, 2):
        store.save(step, write_files({"w": bytes([step])}))

    def check_both_old_ones_still_exist(folder: Path) -> None:
        assert (tmp_path / "checkpoint-1").is_dir() and (tmp_path / "checkpoint-2").is_dir()
        write_files({"w": b"3"})(folder)

    store.save(3, check_both_old_ones_still_exist)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-2", "checkpoint-3"]


def test_latest_skips_a_corrupted_checkpoint_naming_the_file_and_takes_the_previous(tmp_path: Path) -> None:
    warnings: list[str] = []
    store = Checkpoints(tmp_path, total_limit=None, warn=warnings.append)
    store.save(10, write_files({"model.bin": b"good"}))
    newest = store.save(20, write_files({"model.bin": b"good too"}))
    (newest / "model.bin").write_bytes(b"flipped")
    assert store.latest() == tmp_path / "checkpoint-10"
    assert len(warnings) == 1 and "checkpoint-20/model.bin is corrupted" in warnings[0]
    with pytest.raises(CheckpointError, match="model.bin is corrupted"):
        store.named("checkpoint-20")


def test_a_checkpoint_without_manifest_is_incomplete(tmp_path: Path) -> None:
    (tmp_path / "checkpoint-5").mkdir()
    store = Checkpoints(tmp_path, total_limit=None)
    assert store.latest() is None
    with pytest.raises(CheckpointError, match="manifest.json is missing"):
        store.named("checkpoint-5")


def test_steps_sort_numerically_not_alphabetically(tmp_path: Path) -> None:
    store = Checkpoints(tmp_path, total_limit=None)
    for step in (9, 10, 100):
        store.save(step, write_files({"w": b"x"}))
    assert [p.name for p in store.complete()] == ["checkpoint-100", "checkpoint-10", "checkpoint-9"]
    assert store.latest() == tmp_path / "checkpoint-100"


def test_partial_folders_left_by_a_crash_are_cleared(tmp_path: Path) -> None:
    leftover = tmp_path / ".checkpoint-7.partial-deadbeef"
    leftover.mkdir()
    Checkpoints(tmp_path, total_limit=None).save(8, write_files({"w": b"x"}))
    assert not leftover.exists()
