from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from simpletuner.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetServiceInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServiceInfoResponse(_message.Message):
    __slots__ = ("info",)
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: _common_pb2.ServiceInfo
    def __init__(self, info: _Optional[_Union[_common_pb2.ServiceInfo, _Mapping]] = ...) -> None: ...

class OptionSpec(_message.Message):
    __slots__ = ("name", "kind", "default_json", "help", "tab", "group", "choices", "families", "minimum", "maximum", "required", "allow_empty", "permission")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_JSON_FIELD_NUMBER: _ClassVar[int]
    HELP_FIELD_NUMBER: _ClassVar[int]
    TAB_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    FAMILIES_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ALLOW_EMPTY_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    default_json: str
    help: str
    tab: str
    group: str
    choices: _containers.RepeatedScalarFieldContainer[str]
    families: _containers.RepeatedScalarFieldContainer[str]
    minimum: float
    maximum: float
    required: bool
    allow_empty: bool
    permission: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., default_json: _Optional[str] = ..., help: _Optional[str] = ..., tab: _Optional[str] = ..., group: _Optional[str] = ..., choices: _Optional[_Iterable[str]] = ..., families: _Optional[_Iterable[str]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ..., required: _Optional[bool] = ..., allow_empty: _Optional[bool] = ..., permission: _Optional[str] = ...) -> None: ...

class GetOptionCatalogueRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetOptionCatalogueResponse(_message.Message):
    __slots__ = ("options", "model_families")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FAMILIES_FIELD_NUMBER: _ClassVar[int]
    options: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    model_families: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, options: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ..., model_families: _Optional[_Iterable[str]] = ...) -> None: ...
