"""The checkpoints in a run's output folder, as the API lists them (newest first)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from simpletuner.api.trainer.v1 import trainer_pb2
from simpletuner.libs.timestamps import timestamp

from .engine.checkpoints import MANIFEST, Checkpoints, step_of  # stdlib only: no torch in the service


def list_checkpoints(output_dir: Path) -> list[trainer_pb2.Checkpoint]:
    """Complete checkpoints only (a folder without its manifest is not one yet)."""
    found = [path for path in Checkpoints(output_dir, None).complete() if (path / MANIFEST).is_file()]
    return [_checkpoint(path, index == 0) for index, path in enumerate(found)]


def _checkpoint(path: Path, is_latest: bool) -> trainer_pb2.Checkpoint:
    try:
        created = datetime.fromisoformat(json.loads((path / MANIFEST).read_text())["created_at"])
    except (OSError, ValueError, KeyError):
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return trainer_pb2.Checkpoint(
        name=path.name, path=str(path), step=step_of(path), create_time=timestamp(created), is_latest=is_latest
    )
