"""Every bus event becomes the exact JSON SimpleTuner's clients and webhooks expect (API-COMPAT 2.11)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs.bus.payloads import simpletuner_payload

WHEN = datetime(2025, 3, 4, 5, 6, 7, 250000, tzinfo=UTC)


def _event(**payload: Any) -> events_pb2.Event:
    stamp = Timestamp()
    stamp.FromDatetime(WHEN)
    return events_pb2.Event(id="evt-1", time=stamp, source="trainer/1", **payload)


def _envelope(type_: str, severity: str, title: str, message: str, job_id: str = "job-1") -> dict[str, Any]:
    return {
        "id": "evt-1",
        "type": type_,
        "job_id": job_id,
        "timestamp": "2025-03-04T05:06:07.250000+00:00",
        "severity": severity,
        "title": title,
        "message": message,
    }


def test_a_status_change_is_a_training_status_with_its_state_under_data() -> None:
    change = events_pb2.TrainingStatusChanged(
        job_id="job-1", status=events_pb2.TRAINING_STATUS_FAILED, message="CUDA out of memory"
    )
    assert simpletuner_payload(_event(training_status_changed=change)) == {
        **_envelope("training.status", "error", "Failed", "CUDA out of memory"),
        "data": {"status": "failed", "message": "CUDA out of memory"},
    }


def test_a_completed_run_is_a_success_and_a_running_one_is_info() -> None:
    done = events_pb2.TrainingStatusChanged(job_id="job-1", status=events_pb2.TRAINING_STATUS_COMPLETED)
    running = events_pb2.TrainingStatusChanged(job_id="job-1", status=events_pb2.TRAINING_STATUS_RUNNING)
    completed = simpletuner_payload(_event(training_status_changed=done))
    assert (completed["severity"], completed["title"], completed["data"]["status"]) == (
        "success",
        "Completed",
        "completed",
    )
    assert simpletuner_payload(_event(training_status_changed=running))["severity"] == "info"


def test_a_stage_change_is_a_lifecycle_stage_with_its_counts_and_percent() -> None:
    stage = events_pb2.TrainingStageChanged(
        job_id="job-1",
        key="init_vae_cache",
        label="Caching latents",
        status=events_pb2.STAGE_STATUS_RUNNING,
        current=3,
        total=8,
    )
    assert simpletuner_payload(_event(training_stage_changed=stage)) == {
        **_envelope("lifecycle.stage", "info", "Caching latents", "Caching latents: running"),
        "stage": {
            "key": "init_vae_cache",
            "label": "Caching latents",
            "status": "running",
            "current": 3,
            "total": 8,
            "percent": 37.5,
        },
    }


def test_a_finished_stage_without_counts_is_complete_and_a_failed_one_is_an_error() -> None:
    done = events_pb2.TrainingStageChanged(job_id="j", key="model_save", status=events_pb2.STAGE_STATUS_COMPLETED)
    failed = events_pb2.TrainingStageChanged(job_id="j", key="model_save", status=events_pb2.STAGE_STATUS_FAILED)
    assert simpletuner_payload(_event(training_stage_changed=done))["stage"]["percent"] == 100.0
    assert simpletuner_payload(_event(training_stage_changed=done))["stage"]["label"] == "model_save"
    assert simpletuner_payload(_event(training_stage_changed=failed))["severity"] == "error"


def test_progress_has_the_sse_frame_numbers_at_top_level_in_progress_and_in_data() -> None:
    progress = events_pb2.TrainingProgress(
        job_id="job-1",
        step=25,
        total_steps=100,
        epoch=2,
        total_epochs=4,
        loss=0.125,
        learning_rate=1e-4,
        steps_per_second=2.5,
        eta_seconds=30.0,
    )
    numbers = {
        "percent": 25.0,
        "step": 25,
        "total_steps": 100,
        "epoch": 2,
        "total_epochs": 4,
        "loss": 0.125,
        "learning_rate": 1e-4,
        "eta_seconds": 30.0,
        "steps_per_second": 2.5,
    }
    assert simpletuner_payload(_event(training_progress=progress)) == {
        **_envelope("training.progress", "info", "Training progress", "Step 25/100, epoch 2/4, loss 0.125"),
        **numbers,
        "progress": {
            "label": "Step 25/100",
            "current": 25,
            "total": 100,
            "percent": 25.0,
            "eta_seconds": 30.0,
            "metrics": {"loss": 0.125, "learning_rate": 1e-4, "steps_per_second": 2.5},
        },
        "data": numbers,
    }


def test_a_saved_checkpoint_is_a_training_checkpoint_with_its_path_label_and_step() -> None:
    saved = events_pb2.TrainingCheckpointSaved(
        job_id="job-1", path="/out/checkpoint-500", label="checkpoint-500", step=500, is_final=False
    )
    assert simpletuner_payload(_event(training_checkpoint_saved=saved)) == {
        **_envelope(
            "training.checkpoint",
            "info",
            "checkpoint-500",
            "Saved checkpoint checkpoint-500 at step 500 to /out/checkpoint-500",
        ),
        "checkpoint": {"path": "/out/checkpoint-500", "label": "checkpoint-500", "is_final": False, "step": 500},
    }


def test_a_validation_preview_is_a_validation_image_exactly_as_the_seed_shows() -> None:
    image = events_pb2.ValidationImage(
        job_id="job-1",
        title="Validation (step 5/20): night bench",
        prompt="night bench shot of <token>",
        step=5,
        timestep=563,
        resolution=[1024, 1024],
        validation_type="intermediary",
        step_label="5/20",
        images=[events_pb2.Media(src="data:image/png;base64,AAAA", mime_type="image/png")],
    )
    title = "Validation (step 5/20): night bench"
    assert simpletuner_payload(_event(validation_image=image)) == {
        **_envelope("validation.image", "info", title, title),
        "body": "night bench shot of <token>",
        "data": {
            "step": 5,
            "timestep": 563,
            "resolution": [1024, 1024],
            "validation_type": "intermediary",
            "prompt": "night bench shot of <token>",
            "step_label": "5/20",
        },
        "images": [{"src": "data:image/png;base64,AAAA", "mime_type": "image/png"}],
    }


def test_a_video_preview_carries_its_animations_under_videos() -> None:
    gif = events_pb2.Media(src="data:image/gif;base64,R0lG", mime_type="image/gif")
    payload = simpletuner_payload(_event(validation_image=events_pb2.ValidationImage(job_id="job-1", videos=[gif])))
    assert payload["images"] == []
    assert payload["videos"] == [{"src": "data:image/gif;base64,R0lG", "mime_type": "image/gif"}]


def test_a_log_line_is_a_log_message_with_its_logger_and_severity() -> None:
    line = events_pb2.TrainingLog(
        job_id="job-1", severity=events_pb2.LOG_SEVERITY_WARNING, logger="simpletuner.trainer", message="slow disk"
    )
    assert simpletuner_payload(_event(training_log=line)) == {
        **_envelope("log.message", "warning", "simpletuner.trainer", "slow disk"),
        "logger": "simpletuner.trainer",
    }


def test_any_other_event_is_a_notification_with_the_event_json_under_data() -> None:
    change = events_pb2.ServiceStateChanged(service="auth", state=events_pb2.SERVICE_STATE_SERVING)
    payload = simpletuner_payload(_event(service_state_changed=change))
    assert {k: v for k, v in payload.items() if k != "data"} == _envelope(
        "notification", "info", "Service state changed", "", job_id=""
    )
    assert payload["data"]["type"] == "service_state_changed"
    assert payload["data"]["service_state_changed"] == {"service": "auth", "state": "SERVICE_STATE_SERVING"}
