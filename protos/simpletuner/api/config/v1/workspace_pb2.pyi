from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkspaceSettings(_message.Message):
    __slots__ = ("configs_dir", "datasets_dir", "output_dir", "completed_steps", "onboarding_complete", "workspace_dir", "default_configs_dir", "default_datasets_dir", "default_output_dir", "default_environment")
    CONFIGS_DIR_FIELD_NUMBER: _ClassVar[int]
    DATASETS_DIR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_STEPS_FIELD_NUMBER: _ClassVar[int]
    ONBOARDING_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_DIR_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CONFIGS_DIR_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DATASETS_DIR_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    configs_dir: str
    datasets_dir: str
    output_dir: str
    completed_steps: _containers.RepeatedScalarFieldContainer[str]
    onboarding_complete: bool
    workspace_dir: str
    default_configs_dir: str
    default_datasets_dir: str
    default_output_dir: str
    default_environment: str
    def __init__(self, configs_dir: _Optional[str] = ..., datasets_dir: _Optional[str] = ..., output_dir: _Optional[str] = ..., completed_steps: _Optional[_Iterable[str]] = ..., onboarding_complete: _Optional[bool] = ..., workspace_dir: _Optional[str] = ..., default_configs_dir: _Optional[str] = ..., default_datasets_dir: _Optional[str] = ..., default_output_dir: _Optional[str] = ..., default_environment: _Optional[str] = ...) -> None: ...

class GetWorkspaceSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetWorkspaceSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: WorkspaceSettings
    def __init__(self, settings: _Optional[_Union[WorkspaceSettings, _Mapping]] = ...) -> None: ...

class UpdateWorkspaceSettingsRequest(_message.Message):
    __slots__ = ("configs_dir", "datasets_dir", "output_dir", "completed_steps", "replace_completed_steps", "onboarding_complete", "request_id")
    CONFIGS_DIR_FIELD_NUMBER: _ClassVar[int]
    DATASETS_DIR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_STEPS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_COMPLETED_STEPS_FIELD_NUMBER: _ClassVar[int]
    ONBOARDING_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    configs_dir: str
    datasets_dir: str
    output_dir: str
    completed_steps: _containers.RepeatedScalarFieldContainer[str]
    replace_completed_steps: bool
    onboarding_complete: bool
    request_id: str
    def __init__(self, configs_dir: _Optional[str] = ..., datasets_dir: _Optional[str] = ..., output_dir: _Optional[str] = ..., completed_steps: _Optional[_Iterable[str]] = ..., replace_completed_steps: _Optional[bool] = ..., onboarding_complete: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateWorkspaceSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: WorkspaceSettings
    def __init__(self, settings: _Optional[_Union[WorkspaceSettings, _Mapping]] = ...) -> None: ...
