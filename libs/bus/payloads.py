"""The SimpleTuner-shaped JSON of a bus event: one shape for the HTTP API, SSE, WebSocket and webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus.events import event_to_dict, event_type
from simpletuner.libs.protoenums import value_name

Payload = dict[str, Any]

# Severities SimpleTuner clients know, lowest first ("debug" only for debug log lines).
SEVERITIES = ("debug", "info", "success", "warning", "error", "critical")

_STATUS_SEVERITY = {"failed": "error", "completed": "success", "cancelled": "warning"}
_LOG_SEVERITY = {"debug": "debug", "info": "info", "warning": "warning", "error": "error"}


def status_word(status: int) -> str:
    """TRAINING_STATUS_RUNNING -> "running": the word the HTTP API, webhooks and the trainer's records use."""
    return value_name(events_pb2.TrainingStatus, "TRAINING_STATUS_", status)


def stage_word(status: int) -> str:
    """STAGE_STATUS_COMPLETED -> "completed"."""
    return value_name(events_pb2.StageStatus, "STAGE_STATUS_", status)


def simpletuner_payload(event: events_pb2.Event) -> Payload:
    """The event as SimpleTuner's callback JSON (API-COMPAT 2.11); unknown payloads become `notification`."""
    build = _BUILDERS.get(event_type(event), _notification)
    return build(event)


def _base(
    event: events_pb2.Event, type_: str, job_id: str, title: str, message: str, severity: str = "info"
) -> Payload:
    return {
        "id": event.id,
        "type": type_,
        "job_id": job_id,
        "timestamp": event.time.ToDatetime(tzinfo=UTC).isoformat(),
        "severity": severity,
        "title": title,
        "message": message,
    }


def _percent(current: int, total: int) -> float:
    return round(100.0 * current / total, 2) if total > 0 else 0.0


def _status(event: events_pb2.Event) -> Payload:
    change = event.training_status_changed
    status = status_word(change.status)
    title = status.replace("_", " ").title()
    payload = _base(
        event, "training.status", change.job_id, title, change.message or title, _STATUS_SEVERITY.get(status, "info")
    )
    payload["data"] = {"status": status, "message": change.message}
    return payload


def _stage(event: events_pb2.Event) -> Payload:
    stage = event.training_stage_changed
    status = stage_word(stage.status)
    label = stage.label or stage.key
    # A stage without counts is all-or-nothing: done means 100 %.
    percent = _percent(stage.current, stage.total) if stage.total else (100.0 if status == "completed" else 0.0)
    severity = "error" if status == "failed" else "info"
    payload = _base(event, "lifecycle.stage", stage.job_id, label, f"{label}: {status}", severity)
    payload["stage"] = {
        "key": stage.key,
        "label": label,
        "status": status,
        "current": stage.current,
        "total": stage.total,
        "percent": percent,
    }
    return payload


def _progress(event: events_pb2.Event) -> Payload:
    progress = event.training_progress
    label = f"Step {progress.step}/{progress.total_steps}"
    numbers: dict[str, Any] = {
        "percent": _percent(progress.step, progress.total_steps),
        "step": progress.step,
        "total_steps": progress.total_steps,
        "epoch": progress.epoch,
        "total_epochs": progress.total_epochs,
        "loss": progress.loss,
        "learning_rate": progress.learning_rate,
        "eta_seconds": progress.eta_seconds,
        "steps_per_second": progress.steps_per_second,
    }
    message = f"{label}, epoch {progress.epoch}/{progress.total_epochs}, loss {progress.loss:.4g}"
    payload = _base(event, "training.progress", progress.job_id, "Training progress", message)
    payload.update(numbers)
    payload["progress"] = {
        "label": label,
        "current": progress.step,
        "total": progress.total_steps,
        "percent": numbers["percent"],
        "eta_seconds": progress.eta_seconds,
        "metrics": {
            "loss": progress.loss,
            "learning_rate": progress.learning_rate,
            "steps_per_second": progress.steps_per_second,
        },
    }
    payload["data"] = dict(numbers)
    return payload


def _checkpoint(event: events_pb2.Event) -> Payload:
    saved = event.training_checkpoint_saved
    what = "final model" if saved.is_final else "checkpoint"
    message = f"Saved {what} {saved.label} at step {saved.step} to {saved.path}"
    payload = _base(event, "training.checkpoint", saved.job_id, saved.label or what.capitalize(), message)
    payload["checkpoint"] = {"path": saved.path, "label": saved.label, "is_final": saved.is_final, "step": saved.step}
    return payload


def _validation_image(event: events_pb2.Event) -> Payload:
    image = event.validation_image
    title = image.title or f"Validation (step {image.step})"
    payload = _base(event, "validation.image", image.job_id, title, title)
    payload["body"] = image.prompt
    payload["data"] = {
        "step": image.step,
        "timestep": image.timestep,
        "resolution": list(image.resolution),
        "validation_type": image.validation_type,
        "prompt": image.prompt,
        "step_label": image.step_label,
    }
    payload["images"] = [{"src": m.src, "mime_type": m.mime_type} for m in image.images]
    if image.videos:
        payload["videos"] = [{"src": m.src, "mime_type": m.mime_type} for m in image.videos]
    return payload


def _log(event: events_pb2.Event) -> Payload:
    line = event.training_log
    level = value_name(events_pb2.LogSeverity, "LOG_SEVERITY_", line.severity)
    payload = _base(event, "log.message", line.job_id, line.logger, line.message, _LOG_SEVERITY.get(level, "info"))
    payload["logger"] = line.logger
    return payload


def _notification(event: events_pb2.Event) -> Payload:
    kind = event_type(event)
    payload = _base(event, "notification", "", kind.replace("_", " ").capitalize(), "")
    payload["data"] = event_to_dict(event)
    return payload


_BUILDERS: dict[str, Callable[[events_pb2.Event], Payload]] = {
    "training_status_changed": _status,
    "training_stage_changed": _stage,
    "training_progress": _progress,
    "training_checkpoint_saved": _checkpoint,
    "validation_image": _validation_image,
    "training_log": _log,
}
