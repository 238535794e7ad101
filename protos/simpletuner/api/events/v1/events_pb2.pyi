import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from simpletuner.api.auth.v1 import auth_pb2 as _auth_pb2
from simpletuner.api.scheduler.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_STATE_UNSPECIFIED: _ClassVar[ServiceState]
    SERVICE_STATE_SERVING: _ClassVar[ServiceState]
    SERVICE_STATE_STOPPING: _ClassVar[ServiceState]

class TrainingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAINING_STATUS_UNSPECIFIED: _ClassVar[TrainingStatus]
    TRAINING_STATUS_STARTING: _ClassVar[TrainingStatus]
    TRAINING_STATUS_RUNNING: _ClassVar[TrainingStatus]
    TRAINING_STATUS_COMPLETED: _ClassVar[TrainingStatus]
    TRAINING_STATUS_FAILED: _ClassVar[TrainingStatus]
    TRAINING_STATUS_CANCELLED: _ClassVar[TrainingStatus]
    TRAINING_STATUS_STOPPED: _ClassVar[TrainingStatus]

class StageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_STATUS_UNSPECIFIED: _ClassVar[StageStatus]
    STAGE_STATUS_PENDING: _ClassVar[StageStatus]
    STAGE_STATUS_RUNNING: _ClassVar[StageStatus]
    STAGE_STATUS_COMPLETED: _ClassVar[StageStatus]
    STAGE_STATUS_FAILED: _ClassVar[StageStatus]

class LogSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_SEVERITY_UNSPECIFIED: _ClassVar[LogSeverity]
    LOG_SEVERITY_DEBUG: _ClassVar[LogSeverity]
    LOG_SEVERITY_INFO: _ClassVar[LogSeverity]
    LOG_SEVERITY_WARNING: _ClassVar[LogSeverity]
    LOG_SEVERITY_ERROR: _ClassVar[LogSeverity]
SERVICE_STATE_UNSPECIFIED: ServiceState
SERVICE_STATE_SERVING: ServiceState
SERVICE_STATE_STOPPING: ServiceState
TRAINING_STATUS_UNSPECIFIED: TrainingStatus
TRAINING_STATUS_STARTING: TrainingStatus
TRAINING_STATUS_RUNNING: TrainingStatus
TRAINING_STATUS_COMPLETED: TrainingStatus
TRAINING_STATUS_FAILED: TrainingStatus
TRAINING_STATUS_CANCELLED: TrainingStatus
TRAINING_STATUS_STOPPED: TrainingStatus
STAGE_STATUS_UNSPECIFIED: StageStatus
STAGE_STATUS_PENDING: StageStatus
STAGE_STATUS_RUNNING: StageStatus
STAGE_STATUS_COMPLETED: StageStatus
STAGE_STATUS_FAILED: StageStatus
LOG_SEVERITY_UNSPECIFIED: LogSeverity
LOG_SEVERITY_DEBUG: LogSeverity
LOG_SEVERITY_INFO: LogSeverity
LOG_SEVERITY_WARNING: LogSeverity
LOG_SEVERITY_ERROR: LogSeverity

class Event(_message.Message):
    __slots__ = ("id", "time", "source", "service_state_changed", "audit_recorded", "training_status_changed", "training_stage_changed", "training_progress", "training_checkpoint_saved", "validation_image", "training_log", "job_state_changed")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_RECORDED_FIELD_NUMBER: _ClassVar[int]
    TRAINING_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    TRAINING_STAGE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    TRAINING_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_CHECKPOINT_SAVED_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_IMAGE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_LOG_FIELD_NUMBER: _ClassVar[int]
    JOB_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    id: str
    time: _timestamp_pb2.Timestamp
    source: str
    service_state_changed: ServiceStateChanged
    audit_recorded: AuditRecorded
    training_status_changed: TrainingStatusChanged
    training_stage_changed: TrainingStageChanged
    training_progress: TrainingProgress
    training_checkpoint_saved: TrainingCheckpointSaved
    validation_image: ValidationImage
    training_log: TrainingLog
    job_state_changed: JobStateChanged
    def __init__(self, id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., service_state_changed: _Optional[_Union[ServiceStateChanged, _Mapping]] = ..., audit_recorded: _Optional[_Union[AuditRecorded, _Mapping]] = ..., training_status_changed: _Optional[_Union[TrainingStatusChanged, _Mapping]] = ..., training_stage_changed: _Optional[_Union[TrainingStageChanged, _Mapping]] = ..., training_progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., training_checkpoint_saved: _Optional[_Union[TrainingCheckpointSaved, _Mapping]] = ..., validation_image: _Optional[_Union[ValidationImage, _Mapping]] = ..., training_log: _Optional[_Union[TrainingLog, _Mapping]] = ..., job_state_changed: _Optional[_Union[JobStateChanged, _Mapping]] = ...) -> None: ...

class ServiceStateChanged(_message.Message):
    __slots__ = ("service", "instance_id", "state", "version")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    service: str
    instance_id: str
    state: ServiceState
    version: str
    def __init__(self, service: _Optional[str] = ..., instance_id: _Optional[str] = ..., state: _Optional[_Union[ServiceState, str]] = ..., version: _Optional[str] = ...) -> None: ...

class AuditRecorded(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _auth_pb2.AuditEvent
    def __init__(self, entry: _Optional[_Union[_auth_pb2.AuditEvent, _Mapping]] = ...) -> None: ...

class TrainingStatusChanged(_message.Message):
    __slots__ = ("job_id", "status", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: TrainingStatus
    message: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[TrainingStatus, str]] = ..., message: _Optional[str] = ...) -> None: ...

class TrainingStageChanged(_message.Message):
    __slots__ = ("job_id", "key", "label", "status", "current", "total")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    key: str
    label: str
    status: StageStatus
    current: int
    total: int
    def __init__(self, job_id: _Optional[str] = ..., key: _Optional[str] = ..., label: _Optional[str] = ..., status: _Optional[_Union[StageStatus, str]] = ..., current: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ("job_id", "step", "total_steps", "epoch", "total_epochs", "loss", "learning_rate", "steps_per_second", "eta_seconds")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    STEPS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    step: int
    total_steps: int
    epoch: int
    total_epochs: int
    loss: float
    learning_rate: float
    steps_per_second: float
    eta_seconds: float
    def __init__(self, job_id: _Optional[str] = ..., step: _Optional[int] = ..., total_steps: _Optional[int] = ..., epoch: _Optional[int] = ..., total_epochs: _Optional[int] = ..., loss: _Optional[float] = ..., learning_rate: _Optional[float] = ..., steps_per_second: _Optional[float] = ..., eta_seconds: _Optional[float] = ...) -> None: ...

class TrainingCheckpointSaved(_message.Message):
    __slots__ = ("job_id", "path", "label", "step", "is_final")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    IS_FINAL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    path: str
    label: str
    step: int
    is_final: bool
    def __init__(self, job_id: _Optional[str] = ..., path: _Optional[str] = ..., label: _Optional[str] = ..., step: _Optional[int] = ..., is_final: _Optional[bool] = ...) -> None: ...

class Media(_message.Message):
    __slots__ = ("src", "mime_type")
    SRC_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    src: str
    mime_type: str
    def __init__(self, src: _Optional[str] = ..., mime_type: _Optional[str] = ...) -> None: ...

class ValidationImage(_message.Message):
    __slots__ = ("job_id", "title", "prompt", "step", "timestep", "resolution", "validation_type", "step_label", "images", "videos")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TIMESTEP_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STEP_LABEL_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    title: str
    prompt: str
    step: int
    timestep: int
    resolution: _containers.RepeatedScalarFieldContainer[int]
    validation_type: str
    step_label: str
    images: _containers.RepeatedCompositeFieldContainer[Media]
    videos: _containers.RepeatedCompositeFieldContainer[Media]
    def __init__(self, job_id: _Optional[str] = ..., title: _Optional[str] = ..., prompt: _Optional[str] = ..., step: _Optional[int] = ..., timestep: _Optional[int] = ..., resolution: _Optional[_Iterable[int]] = ..., validation_type: _Optional[str] = ..., step_label: _Optional[str] = ..., images: _Optional[_Iterable[_Union[Media, _Mapping]]] = ..., videos: _Optional[_Iterable[_Union[Media, _Mapping]]] = ...) -> None: ...

class TrainingLog(_message.Message):
    __slots__ = ("job_id", "severity", "logger", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LOGGER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    severity: LogSeverity
    logger: str
    message: str
    def __init__(self, job_id: _Optional[str] = ..., severity: _Optional[_Union[LogSeverity, str]] = ..., logger: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class JobStateChanged(_message.Message):
    __slots__ = ("job", "previous_status")
    JOB_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    job: _scheduler_pb2.Job
    previous_status: _scheduler_pb2.JobStatus
    def __init__(self, job: _Optional[_Union[_scheduler_pb2.Job, _Mapping]] = ..., previous_status: _Optional[_Union[_scheduler_pb2.JobStatus, str]] = ...) -> None: ...
