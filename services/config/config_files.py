"""Config files on disk: read and written with exact JSON round trips (libs.jsontext), writes atomic."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from simpletuner.libs.jsontext import dumps, loads

__all__ = ["dumps", "loads", "read", "write_atomic"]


def read(path: Path) -> Any:
    return loads(path.read_text(encoding="utf-8"))


def write_atomic(path: Path, value: Any) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(dumps(value))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
