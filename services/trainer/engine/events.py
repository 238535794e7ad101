"""A training run's events, in the one event schema (simpletuner.api.events.v1), handed to every sink.

Here the sinks are a JSON-lines file and the console; the trainer service adds one that publishes on NATS.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from simpletuner.api.events.v1 import events_pb2 as ev


class EventSink(Protocol):
    def write(self, event: ev.Event) -> None: ...

    def close(self) -> None: ...


class JsonLinesSink:
    """Appends each event as one JSON line (flushed, so a crash loses at most the line being written)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8")

    def write(self, event: ev.Event) -> None:
        line = json_format.MessageToJson(event, indent=None, preserving_proto_field_name=True)
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class RunEvents:
    """Builds the envelope (id, time, source) around each payload of one run and fans it out."""

    def __init__(self, job_id: str, sinks: list[EventSink], source: str = "trainer/run") -> None:
        self.job_id = job_id
        self.sinks = sinks
        self.source = source

    def emit(self, **payload: object) -> ev.Event:
        now = Timestamp()
        now.FromDatetime(datetime.now(UTC))
        event = ev.Event(id=str(uuid.uuid4()), time=now, source=self.source, **payload)  # type: ignore[arg-type]
        for sink in self.sinks:
            sink.write(event)
        return event

    def status(self, status: ev.TrainingStatus, message: str = "") -> None:
        self.emit(training_status_changed=ev.TrainingStatusChanged(job_id=self.job_id, status=status, message=message))

    def stage(self, key: str, label: str, status: ev.StageStatus, current: int = 0, total: int = 0) -> None:
        change = ev.TrainingStageChanged(
            job_id=self.job_id, key=key, label=label, status=status, current=current, total=total
        )
        self.emit(training_stage_changed=change)

    def progress(self, progress: ev.TrainingProgress) -> None:
        progress.job_id = self.job_id
        self.emit(training_progress=progress)

    def checkpoint(self, path: Path, step: int, is_final: bool = False) -> None:
        saved = ev.TrainingCheckpointSaved(
            job_id=self.job_id, path=str(path), label=path.name, step=step, is_final=is_final
        )
        self.emit(training_checkpoint_saved=saved)

    def validation_image(self, image: ev.ValidationImage) -> None:
        image.job_id = self.job_id
        self.emit(validation_image=image)

    def log(self, message: str, severity: ev.LogSeverity = ev.LOG_SEVERITY_INFO) -> None:
        line = ev.TrainingLog(job_id=self.job_id, severity=severity, logger="simpletuner.train", message=message)
        self.emit(training_log=line)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
