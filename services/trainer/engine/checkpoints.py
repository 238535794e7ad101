"""Checkpoints that are either complete or absent: written to a temp folder, sealed with a manifest of file
hashes, renamed into place, and only then are old ones pruned (accelerate alone does neither)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.json"
PREFIX = "checkpoint-"
NAME = re.compile(rf"^{PREFIX}(\d+)$")
PARTIAL = ".partial-"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used; the message names the file at fault."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class Checkpoints:
    """The checkpoints of one output_dir: `checkpoint-<step>/` folders, each with a manifest.json."""

    def __init__(self, output_dir: Path, total_limit: int | None, warn: Callable[[str], None] = lambda _: None) -> None:
        self.output_dir = output_dir
        self.total_limit = total_limit
        self.warn = warn

    def save(self, step: int, write: Callable[[Path], None]) -> Path:
        """`write(folder)` fills a temp folder; it becomes checkpoint-<step> only once sealed and synced."""
        partial = self.partial(step, uuid.uuid4().hex[:8])
        try:
            write(partial)
            return self.seal(step, partial)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def partial(self, step: int, tag: str) -> Path:
        """The temp folder a checkpoint is written into (every process of a run names the same one by `tag`)."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / f".{PREFIX}{step}{PARTIAL}{tag}"

    def folder(self, step: int) -> Path:
        return self.output_dir / f"{PREFIX}{step}"

    def seal(self, step: int, partial: Path) -> Path:
        """Write the manifest, sync, rename the temp folder into place, then prune (the main process only)."""
        final = self.folder(step)
        manifest = {"step": step, "created_at": datetime.now(UTC).isoformat(), "files": file_hashes(partial)}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2))
        _fsync_tree(partial)
        if final.exists():  # a re-run of the same step: the new one replaces it
            shutil.rmtree(final)
        os.replace(partial, final)
        self.prune()
        return final

    def complete(self) -> list[Path]:
        """Checkpoint folders by step, newest first (not yet verified)."""
        found = [path for path in self.output_dir.glob(f"{PREFIX}*") if path.is_dir() and NAME.match(path.name)]
        return sorted(found, key=step_of, reverse=True)

    def verify(self, folder: Path) -> None:
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise CheckpointError(f"{manifest_path} is missing: the checkpoint was not completed")
        try:
            expected: dict[str, str] = json.loads(manifest_path.read_text())["files"]
        except (ValueError, KeyError) as exc:
            raise CheckpointError(f"{manifest_path} is unreadable: {exc}") from None
        for name, digest in expected.items():
            path = folder / name
            if not path.is_file():
                raise CheckpointError(f"{path} is missing")
            if sha256(path) != digest:
                raise CheckpointError(f"{path} is corrupted (its hash differs from the manifest)")

    def latest(self) -> Path | None:
        """The newest checkpoint that verifies; each refused one is reported."""
        for folder in self.complete():
            try:
                self.verify(folder)
            except CheckpointError as exc:
                self.warn(f"skipping {folder.name}: {exc}")
                continue
            return folder
        return None

    def named(self, name: str) -> Path:
        folder = self.output_dir / name if not Path(name).is_absolute() else Path(name)
        if not folder.is_dir():
            raise CheckpointError(
                f"{folder} does not exist; resume_from_checkpoint takes 'latest' or a checkpoint name"
            )
        self.verify(folder)
        return folder

    def prune(self) -> None:
        """Keep the newest checkpoints_total_limit; clear partial folders left by a crash."""
        for leftover in self.output_dir.glob(f".{PREFIX}*{PARTIAL}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if not self.total_limit or self.total_limit <= 0:
            return
        for old in self.complete()[self.total_limit :]:
            shutil.rmtree(old, ignore_errors=True)


def step_of(folder: Path) -> int:
    match = NAME.match(folder.name)
    return int(match.group(1)) if match else -1
