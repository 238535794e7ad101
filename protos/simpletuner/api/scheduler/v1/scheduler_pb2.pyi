import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from simpletuner.api.common.v1 import common_pb2 as _common_pb2
from simpletuner.api.config.v1 import config_pb2 as _config_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_PENDING_APPROVAL: _ClassVar[JobStatus]
    JOB_STATUS_QUEUED: _ClassVar[JobStatus]
    JOB_STATUS_RUNNING: _ClassVar[JobStatus]
    JOB_STATUS_COMPLETED: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
    JOB_STATUS_REJECTED: _ClassVar[JobStatus]
    JOB_STATUS_STOPPED: _ClassVar[JobStatus]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_LOW: _ClassVar[Priority]
    PRIORITY_NORMAL: _ClassVar[Priority]
    PRIORITY_HIGH: _ClassVar[Priority]
    PRIORITY_URGENT: _ClassVar[Priority]
    PRIORITY_CRITICAL: _ClassVar[Priority]

class Target(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARGET_UNSPECIFIED: _ClassVar[Target]
    TARGET_AUTO: _ClassVar[Target]
    TARGET_LOCAL: _ClassVar[Target]
    TARGET_WORKER: _ClassVar[Target]

class WorkerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_STATUS_UNSPECIFIED: _ClassVar[WorkerStatus]
    WORKER_STATUS_CONNECTING: _ClassVar[WorkerStatus]
    WORKER_STATUS_IDLE: _ClassVar[WorkerStatus]
    WORKER_STATUS_BUSY: _ClassVar[WorkerStatus]
    WORKER_STATUS_DRAINING: _ClassVar[WorkerStatus]
    WORKER_STATUS_OFFLINE: _ClassVar[WorkerStatus]

class WorkerChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_CHANGE_UNSPECIFIED: _ClassVar[WorkerChange]
    WORKER_CHANGE_DRAIN: _ClassVar[WorkerChange]
    WORKER_CHANGE_REMOVE: _ClassVar[WorkerChange]
    WORKER_CHANGE_ROTATE_TOKEN: _ClassVar[WorkerChange]

class WorkerAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_ACTION_UNSPECIFIED: _ClassVar[WorkerAction]
    WORKER_ACTION_REGISTER: _ClassVar[WorkerAction]
    WORKER_ACTION_HEARTBEAT: _ClassVar[WorkerAction]
    WORKER_ACTION_CLAIM: _ClassVar[WorkerAction]
    WORKER_ACTION_REPORT: _ClassVar[WorkerAction]
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_PENDING_APPROVAL: JobStatus
JOB_STATUS_QUEUED: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_COMPLETED: JobStatus
JOB_STATUS_FAILED: JobStatus
JOB_STATUS_CANCELLED: JobStatus
JOB_STATUS_REJECTED: JobStatus
JOB_STATUS_STOPPED: JobStatus
PRIORITY_UNSPECIFIED: Priority
PRIORITY_LOW: Priority
PRIORITY_NORMAL: Priority
PRIORITY_HIGH: Priority
PRIORITY_URGENT: Priority
PRIORITY_CRITICAL: Priority
TARGET_UNSPECIFIED: Target
TARGET_AUTO: Target
TARGET_LOCAL: Target
TARGET_WORKER: Target
WORKER_STATUS_UNSPECIFIED: WorkerStatus
WORKER_STATUS_CONNECTING: WorkerStatus
WORKER_STATUS_IDLE: WorkerStatus
WORKER_STATUS_BUSY: WorkerStatus
WORKER_STATUS_DRAINING: WorkerStatus
WORKER_STATUS_OFFLINE: WorkerStatus
WORKER_CHANGE_UNSPECIFIED: WorkerChange
WORKER_CHANGE_DRAIN: WorkerChange
WORKER_CHANGE_REMOVE: WorkerChange
WORKER_CHANGE_ROTATE_TOKEN: WorkerChange
WORKER_ACTION_UNSPECIFIED: WorkerAction
WORKER_ACTION_REGISTER: WorkerAction
WORKER_ACTION_HEARTBEAT: WorkerAction
WORKER_ACTION_CLAIM: WorkerAction
WORKER_ACTION_REPORT: WorkerAction

class GetServiceInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServiceInfoResponse(_message.Message):
    __slots__ = ("info",)
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: _common_pb2.ServiceInfo
    def __init__(self, info: _Optional[_Union[_common_pb2.ServiceInfo, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "config_name", "owner_id", "owner_name", "team_id", "status", "base_priority", "priority_override", "effective_priority", "target", "worker_labels", "any_gpu", "gpu_count", "preferred_gpus", "allocated_gpus", "placement", "attempt", "message", "queue_position", "create_time", "start_time", "end_time", "model_family", "estimated_cost", "approval_expire_time")
    class WorkerLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_NAME_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BASE_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    WORKER_LABELS_FIELD_NUMBER: _ClassVar[int]
    ANY_GPU_FIELD_NUMBER: _ClassVar[int]
    GPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_GPUS_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_GPUS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MODEL_FAMILY_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_COST_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    config_name: str
    owner_id: str
    owner_name: str
    team_id: str
    status: JobStatus
    base_priority: int
    priority_override: int
    effective_priority: int
    target: Target
    worker_labels: _containers.ScalarMap[str, str]
    any_gpu: bool
    gpu_count: int
    preferred_gpus: _containers.RepeatedScalarFieldContainer[int]
    allocated_gpus: _containers.RepeatedScalarFieldContainer[int]
    placement: str
    attempt: int
    message: str
    queue_position: int
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    model_family: str
    estimated_cost: float
    approval_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., config_name: _Optional[str] = ..., owner_id: _Optional[str] = ..., owner_name: _Optional[str] = ..., team_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., base_priority: _Optional[int] = ..., priority_override: _Optional[int] = ..., effective_priority: _Optional[int] = ..., target: _Optional[_Union[Target, str]] = ..., worker_labels: _Optional[_Mapping[str, str]] = ..., any_gpu: _Optional[bool] = ..., gpu_count: _Optional[int] = ..., preferred_gpus: _Optional[_Iterable[int]] = ..., allocated_gpus: _Optional[_Iterable[int]] = ..., placement: _Optional[str] = ..., attempt: _Optional[int] = ..., message: _Optional[str] = ..., queue_position: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., model_family: _Optional[str] = ..., estimated_cost: _Optional[float] = ..., approval_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("config_name", "fields", "use_environment_defaults", "disabled_fields", "save_to_environment", "no_wait", "any_gpu", "target", "worker_labels", "priority", "request_id", "dry_run", "estimated_hours")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class WorkerLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONFIG_NAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    USE_ENVIRONMENT_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    SAVE_TO_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    NO_WAIT_FIELD_NUMBER: _ClassVar[int]
    ANY_GPU_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    WORKER_LABELS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_HOURS_FIELD_NUMBER: _ClassVar[int]
    config_name: str
    fields: _containers.ScalarMap[str, str]
    use_environment_defaults: bool
    disabled_fields: _containers.RepeatedScalarFieldContainer[str]
    save_to_environment: bool
    no_wait: bool
    any_gpu: bool
    target: Target
    worker_labels: _containers.ScalarMap[str, str]
    priority: Priority
    request_id: str
    dry_run: bool
    estimated_hours: float
    def __init__(self, config_name: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., use_environment_defaults: _Optional[bool] = ..., disabled_fields: _Optional[_Iterable[str]] = ..., save_to_environment: _Optional[bool] = ..., no_wait: _Optional[bool] = ..., any_gpu: _Optional[bool] = ..., target: _Optional[_Union[Target, str]] = ..., worker_labels: _Optional[_Mapping[str, str]] = ..., priority: _Optional[_Union[Priority, str]] = ..., request_id: _Optional[str] = ..., dry_run: _Optional[bool] = ..., estimated_hours: _Optional[float] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("accepted", "job", "errors", "warnings", "saved_to_environment", "replayed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    SAVED_TO_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    job: Job
    errors: _containers.RepeatedCompositeFieldContainer[_config_pb2.ConfigProblem]
    warnings: _containers.RepeatedCompositeFieldContainer[_config_pb2.ConfigProblem]
    saved_to_environment: bool
    replayed: bool
    def __init__(self, accepted: _Optional[bool] = ..., job: _Optional[_Union[Job, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[_config_pb2.ConfigProblem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_config_pb2.ConfigProblem, _Mapping]]] = ..., saved_to_environment: _Optional[bool] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("statuses", "include_finished", "owner_id", "limit", "offset")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FINISHED_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[JobStatus]
    include_finished: bool
    owner_id: str
    limit: int
    offset: int
    def __init__(self, statuses: _Optional[_Iterable[_Union[JobStatus, str]]] = ..., include_finished: _Optional[bool] = ..., owner_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "total")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    total: int
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class SetJobPriorityRequest(_message.Message):
    __slots__ = ("job_id", "priority")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    priority: int
    def __init__(self, job_id: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class SetJobPriorityResponse(_message.Message):
    __slots__ = ("job", "previous_effective_priority")
    JOB_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_EFFECTIVE_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    job: Job
    previous_effective_priority: int
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., previous_effective_priority: _Optional[int] = ...) -> None: ...

class ConcurrencyLimits(_message.Message):
    __slots__ = ("max_concurrent", "user_max_concurrent", "team_max_concurrent", "enable_fair_share", "local_gpu_max_concurrent", "local_job_max_concurrent")
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    USER_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FAIR_SHARE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GPU_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_JOB_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    max_concurrent: int
    user_max_concurrent: int
    team_max_concurrent: int
    enable_fair_share: bool
    local_gpu_max_concurrent: int
    local_job_max_concurrent: int
    def __init__(self, max_concurrent: _Optional[int] = ..., user_max_concurrent: _Optional[int] = ..., team_max_concurrent: _Optional[int] = ..., enable_fair_share: _Optional[bool] = ..., local_gpu_max_concurrent: _Optional[int] = ..., local_job_max_concurrent: _Optional[int] = ...) -> None: ...

class GpuDevice(_message.Message):
    __slots__ = ("index", "name", "memory_gb", "allocated", "job_id")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_GB_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    index: int
    name: str
    memory_gb: float
    allocated: bool
    job_id: str
    def __init__(self, index: _Optional[int] = ..., name: _Optional[str] = ..., memory_gb: _Optional[float] = ..., allocated: _Optional[bool] = ..., job_id: _Optional[str] = ...) -> None: ...

class GpuAllocation(_message.Message):
    __slots__ = ("allocated_gpus", "available_gpus", "running_local_jobs", "devices", "pending_local_jobs", "backend")
    ALLOCATED_GPUS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_GPUS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_LOCAL_JOBS_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    PENDING_LOCAL_JOBS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    allocated_gpus: _containers.RepeatedScalarFieldContainer[int]
    available_gpus: _containers.RepeatedScalarFieldContainer[int]
    running_local_jobs: int
    devices: _containers.RepeatedCompositeFieldContainer[GpuDevice]
    pending_local_jobs: int
    backend: str
    def __init__(self, allocated_gpus: _Optional[_Iterable[int]] = ..., available_gpus: _Optional[_Iterable[int]] = ..., running_local_jobs: _Optional[int] = ..., devices: _Optional[_Iterable[_Union[GpuDevice, _Mapping]]] = ..., pending_local_jobs: _Optional[int] = ..., backend: _Optional[str] = ...) -> None: ...

class GetQueueStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQueueStatsResponse(_message.Message):
    __slots__ = ("by_status", "by_user", "queue_depth", "running", "avg_wait_seconds", "limits", "local", "workers_by_status")
    class ByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ByUserEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class WorkersByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    BY_USER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    AVG_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    WORKERS_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    by_status: _containers.ScalarMap[str, int]
    by_user: _containers.ScalarMap[str, int]
    queue_depth: int
    running: int
    avg_wait_seconds: float
    limits: ConcurrencyLimits
    local: GpuAllocation
    workers_by_status: _containers.ScalarMap[str, int]
    def __init__(self, by_status: _Optional[_Mapping[str, int]] = ..., by_user: _Optional[_Mapping[str, int]] = ..., queue_depth: _Optional[int] = ..., running: _Optional[int] = ..., avg_wait_seconds: _Optional[float] = ..., limits: _Optional[_Union[ConcurrencyLimits, _Mapping]] = ..., local: _Optional[_Union[GpuAllocation, _Mapping]] = ..., workers_by_status: _Optional[_Mapping[str, int]] = ...) -> None: ...

class SetConcurrencyRequest(_message.Message):
    __slots__ = ("max_concurrent", "user_max_concurrent", "team_max_concurrent", "enable_fair_share", "local_gpu_max_concurrent", "clear_local_gpu_max_concurrent", "local_job_max_concurrent")
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    USER_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    TEAM_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FAIR_SHARE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GPU_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    CLEAR_LOCAL_GPU_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_JOB_MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    max_concurrent: int
    user_max_concurrent: int
    team_max_concurrent: int
    enable_fair_share: bool
    local_gpu_max_concurrent: int
    clear_local_gpu_max_concurrent: bool
    local_job_max_concurrent: int
    def __init__(self, max_concurrent: _Optional[int] = ..., user_max_concurrent: _Optional[int] = ..., team_max_concurrent: _Optional[int] = ..., enable_fair_share: _Optional[bool] = ..., local_gpu_max_concurrent: _Optional[int] = ..., clear_local_gpu_max_concurrent: _Optional[bool] = ..., local_job_max_concurrent: _Optional[int] = ...) -> None: ...

class SetConcurrencyResponse(_message.Message):
    __slots__ = ("limits",)
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: ConcurrencyLimits
    def __init__(self, limits: _Optional[_Union[ConcurrencyLimits, _Mapping]] = ...) -> None: ...

class CleanupJobsRequest(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: int
    def __init__(self, days: _Optional[int] = ...) -> None: ...

class CleanupJobsResponse(_message.Message):
    __slots__ = ("deleted", "days")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    days: int
    def __init__(self, deleted: _Optional[int] = ..., days: _Optional[int] = ...) -> None: ...

class GetGpuAllocationRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetGpuAllocationResponse(_message.Message):
    __slots__ = ("allocation",)
    ALLOCATION_FIELD_NUMBER: _ClassVar[int]
    allocation: GpuAllocation
    def __init__(self, allocation: _Optional[_Union[GpuAllocation, _Mapping]] = ...) -> None: ...

class DecideJobRequest(_message.Message):
    __slots__ = ("job_id", "approve", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    approve: bool
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., approve: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class DecideJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class QuotaUsage(_message.Message):
    __slots__ = ("quota_type", "limit", "used", "action", "scope", "scope_id")
    QUOTA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    quota_type: str
    limit: float
    used: float
    action: str
    scope: str
    scope_id: str
    def __init__(self, quota_type: _Optional[str] = ..., limit: _Optional[float] = ..., used: _Optional[float] = ..., action: _Optional[str] = ..., scope: _Optional[str] = ..., scope_id: _Optional[str] = ...) -> None: ...

class GetQuotaUsageRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetQuotaUsageResponse(_message.Message):
    __slots__ = ("quotas", "gpu_hour_rate")
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    GPU_HOUR_RATE_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[QuotaUsage]
    gpu_hour_rate: float
    def __init__(self, quotas: _Optional[_Iterable[_Union[QuotaUsage, _Mapping]]] = ..., gpu_hour_rate: _Optional[float] = ...) -> None: ...

class ApprovalRule(_message.Message):
    __slots__ = ("id", "name", "condition", "threshold", "pattern", "enabled")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    condition: str
    threshold: float
    pattern: str
    enabled: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., condition: _Optional[str] = ..., threshold: _Optional[float] = ..., pattern: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class ListApprovalRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListApprovalRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[ApprovalRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[ApprovalRule, _Mapping]]] = ...) -> None: ...

class CreateApprovalRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ApprovalRule
    def __init__(self, rule: _Optional[_Union[ApprovalRule, _Mapping]] = ...) -> None: ...

class CreateApprovalRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ApprovalRule
    def __init__(self, rule: _Optional[_Union[ApprovalRule, _Mapping]] = ...) -> None: ...

class DeleteApprovalRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteApprovalRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Worker(_message.Message):
    __slots__ = ("worker_id", "name", "worker_type", "status", "gpu_name", "gpu_count", "labels", "current_job_id", "last_heartbeat", "create_time")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKER_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GPU_NAME_FIELD_NUMBER: _ClassVar[int]
    GPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    name: str
    worker_type: str
    status: WorkerStatus
    gpu_name: str
    gpu_count: int
    labels: _containers.ScalarMap[str, str]
    current_job_id: str
    last_heartbeat: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, worker_id: _Optional[str] = ..., name: _Optional[str] = ..., worker_type: _Optional[str] = ..., status: _Optional[_Union[WorkerStatus, str]] = ..., gpu_name: _Optional[str] = ..., gpu_count: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., current_job_id: _Optional[str] = ..., last_heartbeat: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWorkerRequest(_message.Message):
    __slots__ = ("name", "worker_type", "labels", "orchestrator_url")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    WORKER_TYPE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ORCHESTRATOR_URL_FIELD_NUMBER: _ClassVar[int]
    name: str
    worker_type: str
    labels: _containers.ScalarMap[str, str]
    orchestrator_url: str
    def __init__(self, name: _Optional[str] = ..., worker_type: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., orchestrator_url: _Optional[str] = ...) -> None: ...

class CreateWorkerResponse(_message.Message):
    __slots__ = ("worker", "token", "connection_command")
    WORKER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_COMMAND_FIELD_NUMBER: _ClassVar[int]
    worker: Worker
    token: str
    connection_command: str
    def __init__(self, worker: _Optional[_Union[Worker, _Mapping]] = ..., token: _Optional[str] = ..., connection_command: _Optional[str] = ...) -> None: ...

class ListWorkersRequest(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[WorkerStatus]
    def __init__(self, statuses: _Optional[_Iterable[_Union[WorkerStatus, str]]] = ...) -> None: ...

class ListWorkersResponse(_message.Message):
    __slots__ = ("workers",)
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[Worker]
    def __init__(self, workers: _Optional[_Iterable[_Union[Worker, _Mapping]]] = ...) -> None: ...

class ChangeWorkerRequest(_message.Message):
    __slots__ = ("worker_id", "change", "orchestrator_url")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ORCHESTRATOR_URL_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    change: WorkerChange
    orchestrator_url: str
    def __init__(self, worker_id: _Optional[str] = ..., change: _Optional[_Union[WorkerChange, str]] = ..., orchestrator_url: _Optional[str] = ...) -> None: ...

class ChangeWorkerResponse(_message.Message):
    __slots__ = ("worker", "token", "connection_command")
    WORKER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_COMMAND_FIELD_NUMBER: _ClassVar[int]
    worker: Worker
    token: str
    connection_command: str
    def __init__(self, worker: _Optional[_Union[Worker, _Mapping]] = ..., token: _Optional[str] = ..., connection_command: _Optional[str] = ...) -> None: ...

class WorkerCallRequest(_message.Message):
    __slots__ = ("token", "action", "gpu_name", "gpu_count", "job_id", "attempt", "status", "message", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    GPU_NAME_FIELD_NUMBER: _ClassVar[int]
    GPU_COUNT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    token: str
    action: WorkerAction
    gpu_name: str
    gpu_count: int
    job_id: str
    attempt: int
    status: str
    message: str
    labels: _containers.ScalarMap[str, str]
    def __init__(self, token: _Optional[str] = ..., action: _Optional[_Union[WorkerAction, str]] = ..., gpu_name: _Optional[str] = ..., gpu_count: _Optional[int] = ..., job_id: _Optional[str] = ..., attempt: _Optional[int] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WorkerCallResponse(_message.Message):
    __slots__ = ("worker", "job", "config_json", "lease_expire_time", "abandon", "shutdown")
    WORKER_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ABANDON_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    worker: Worker
    job: Job
    config_json: str
    lease_expire_time: _timestamp_pb2.Timestamp
    abandon: bool
    shutdown: bool
    def __init__(self, worker: _Optional[_Union[Worker, _Mapping]] = ..., job: _Optional[_Union[Job, _Mapping]] = ..., config_json: _Optional[str] = ..., lease_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., abandon: _Optional[bool] = ..., shutdown: _Optional[bool] = ...) -> None: ...
