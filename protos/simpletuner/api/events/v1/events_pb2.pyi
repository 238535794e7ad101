import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from simpletuner.api.auth.v1 import auth_pb2 as _auth_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_STATE_UNSPECIFIED: _ClassVar[ServiceState]
    SERVICE_STATE_SERVING: _ClassVar[ServiceState]
    SERVICE_STATE_STOPPING: _ClassVar[ServiceState]
SERVICE_STATE_UNSPECIFIED: ServiceState
SERVICE_STATE_SERVING: ServiceState
SERVICE_STATE_STOPPING: ServiceState

class Event(_message.Message):
    __slots__ = ("id", "time", "source", "service_state_changed", "audit_recorded")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    AUDIT_RECORDED_FIELD_NUMBER: _ClassVar[int]
    id: str
    time: _timestamp_pb2.Timestamp
    source: str
    service_state_changed: ServiceStateChanged
    audit_recorded: AuditRecorded
    def __init__(self, id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., service_state_changed: _Optional[_Union[ServiceStateChanged, _Mapping]] = ..., audit_recorded: _Optional[_Union[AuditRecorded, _Mapping]] = ...) -> None: ...

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
