"""A run's state as its events tell it: the events file is read incrementally and folded into one snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from simpletuner.api.events.v1 import events_pb2 as ev
from simpletuner.libs.bus.payloads import status_word as status_name

STATUS_PREFIX = "TRAINING_STATUS_"
TERMINAL = frozenset(
    {
        ev.TRAINING_STATUS_COMPLETED,
        ev.TRAINING_STATUS_FAILED,
        ev.TRAINING_STATUS_CANCELLED,
        ev.TRAINING_STATUS_STOPPED,
    }
)


def status_value(name: str) -> int:
    return int(ev.TrainingStatus.Value(f"{STATUS_PREFIX}{name.upper()}"))


@dataclass
class RunSnapshot:
    """What the run has reported so far."""

    status: int = ev.TRAINING_STATUS_STARTING
    message: str = ""
    progress: ev.TrainingProgress | None = None
    stages: dict[str, ev.TrainingStageChanged] = field(default_factory=dict)  # in the order they began

    def fold(self, event: ev.Event) -> None:
        payload = event.WhichOneof("payload")
        if payload == "training_status_changed":
            self.status, self.message = event.training_status_changed.status, event.training_status_changed.message
        elif payload == "training_stage_changed":
            self.stages[event.training_stage_changed.key] = event.training_stage_changed
        elif payload == "training_progress":
            self.progress = event.training_progress

    def copy(self) -> RunSnapshot:
        return RunSnapshot(self.status, self.message, self.progress, dict(self.stages))

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def progress_json(self) -> str:
        if self.progress is None:
            return ""
        return json_format.MessageToJson(self.progress, indent=None, preserving_proto_field_name=True)

    def stages_json(self) -> str:
        stages = [json_format.MessageToDict(stage, preserving_proto_field_name=True) for stage in self.stages.values()]
        return json.dumps(stages)

    @classmethod
    def from_columns(cls, status: str, message: str, progress_json: str, stages_json: str) -> RunSnapshot:
        snapshot = cls(status=status_value(status), message=message)
        if progress_json:
            snapshot.progress = json_format.Parse(progress_json, ev.TrainingProgress())
        for stage in json.loads(stages_json or "[]"):
            parsed = json_format.ParseDict(stage, ev.TrainingStageChanged())
            snapshot.stages[parsed.key] = parsed
        return snapshot


class EventsFile:
    """Reads the events a run appends to its file, picking up where the last read stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.event_ids: list[str] = []  # in file order, for replaying what the bus did not store

    def read_new(self) -> list[ev.Event]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next read
        self._offset += len(complete)
        events = [_parse(line) for line in complete.splitlines() if line.strip()]
        self.event_ids += [event.id for event in events]
        return events

    def read_all(self) -> list[ev.Event]:
        if not self.path.exists():
            return []
        return [_parse(line) for line in self.path.read_bytes().splitlines() if line.strip()]


def _parse(line: bytes) -> ev.Event:
    return json_format.Parse(line, ev.Event(), ignore_unknown_fields=True)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines a training process wrote (its stdout and stderr)."""
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        text = handle.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def snapshot_columns(snapshot: RunSnapshot) -> dict[str, Any]:
    """The run table's columns that hold the snapshot."""
    return {
        "status": status_name(snapshot.status),
        "message": snapshot.message,
        "progress_json": snapshot.progress_json(),
        "stages_json": snapshot.stages_json(),
    }
