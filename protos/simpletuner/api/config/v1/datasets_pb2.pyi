from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BrowseDatasetsRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class DatasetEntry(_message.Message):
    __slots__ = ("name", "path", "is_dir", "size_bytes", "image_count", "caption_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    IS_DIR_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CAPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    is_dir: bool
    size_bytes: int
    image_count: int
    caption_count: int
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., is_dir: _Optional[bool] = ..., size_bytes: _Optional[int] = ..., image_count: _Optional[int] = ..., caption_count: _Optional[int] = ...) -> None: ...

class BrowseDatasetsResponse(_message.Message):
    __slots__ = ("path", "parent", "root", "entries")
    PATH_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    path: str
    parent: str
    root: str
    entries: _containers.RepeatedCompositeFieldContainer[DatasetEntry]
    def __init__(self, path: _Optional[str] = ..., parent: _Optional[str] = ..., root: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[DatasetEntry, _Mapping]]] = ...) -> None: ...

class CreateDatasetFolderRequest(_message.Message):
    __slots__ = ("parent_path", "folder_name")
    PARENT_PATH_FIELD_NUMBER: _ClassVar[int]
    FOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    parent_path: str
    folder_name: str
    def __init__(self, parent_path: _Optional[str] = ..., folder_name: _Optional[str] = ...) -> None: ...

class CreateDatasetFolderResponse(_message.Message):
    __slots__ = ("path", "name")
    PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    path: str
    name: str
    def __init__(self, path: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UploadDatasetFilesRequest(_message.Message):
    __slots__ = ("target_path", "file_name", "data")
    TARGET_PATH_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    target_path: str
    file_name: str
    data: bytes
    def __init__(self, target_path: _Optional[str] = ..., file_name: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadDatasetArchiveRequest(_message.Message):
    __slots__ = ("target_path", "data")
    TARGET_PATH_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    target_path: str
    data: bytes
    def __init__(self, target_path: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadSummary(_message.Message):
    __slots__ = ("target_path", "files_uploaded", "files_skipped", "errors")
    TARGET_PATH_FIELD_NUMBER: _ClassVar[int]
    FILES_UPLOADED_FIELD_NUMBER: _ClassVar[int]
    FILES_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    target_path: str
    files_uploaded: int
    files_skipped: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, target_path: _Optional[str] = ..., files_uploaded: _Optional[int] = ..., files_skipped: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class UploadDatasetFilesResponse(_message.Message):
    __slots__ = ("summary",)
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    summary: UploadSummary
    def __init__(self, summary: _Optional[_Union[UploadSummary, _Mapping]] = ...) -> None: ...

class UploadDatasetArchiveResponse(_message.Message):
    __slots__ = ("summary",)
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    summary: UploadSummary
    def __init__(self, summary: _Optional[_Union[UploadSummary, _Mapping]] = ...) -> None: ...

class GetDataloaderConfigRequest(_message.Message):
    __slots__ = ("environment", "file")
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    environment: str
    file: str
    def __init__(self, environment: _Optional[str] = ..., file: _Optional[str] = ...) -> None: ...

class DataloaderProblem(_message.Message):
    __slots__ = ("field", "message", "index", "dataset_id", "key")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    field: str
    message: str
    index: int
    dataset_id: str
    key: str
    def __init__(self, field: _Optional[str] = ..., message: _Optional[str] = ..., index: _Optional[int] = ..., dataset_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class GetDataloaderConfigResponse(_message.Message):
    __slots__ = ("environment", "path", "absolute_path", "exists", "datasets_json", "etag", "errors", "warnings")
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_PATH_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    DATASETS_JSON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    environment: str
    path: str
    absolute_path: str
    exists: bool
    datasets_json: str
    etag: str
    errors: _containers.RepeatedCompositeFieldContainer[DataloaderProblem]
    warnings: _containers.RepeatedCompositeFieldContainer[DataloaderProblem]
    def __init__(self, environment: _Optional[str] = ..., path: _Optional[str] = ..., absolute_path: _Optional[str] = ..., exists: _Optional[bool] = ..., datasets_json: _Optional[str] = ..., etag: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[DataloaderProblem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[DataloaderProblem, _Mapping]]] = ...) -> None: ...

class UpdateDataloaderConfigRequest(_message.Message):
    __slots__ = ("environment", "file", "datasets_json", "request_id", "etag", "ensure_text_embeds")
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    DATASETS_JSON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ENSURE_TEXT_EMBEDS_FIELD_NUMBER: _ClassVar[int]
    environment: str
    file: str
    datasets_json: str
    request_id: str
    etag: str
    ensure_text_embeds: bool
    def __init__(self, environment: _Optional[str] = ..., file: _Optional[str] = ..., datasets_json: _Optional[str] = ..., request_id: _Optional[str] = ..., etag: _Optional[str] = ..., ensure_text_embeds: _Optional[bool] = ...) -> None: ...

class UpdateDataloaderConfigResponse(_message.Message):
    __slots__ = ("saved", "environment", "path", "absolute_path", "datasets_json", "etag", "errors", "warnings", "replayed", "config_updated")
    SAVED_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_PATH_FIELD_NUMBER: _ClassVar[int]
    DATASETS_JSON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    CONFIG_UPDATED_FIELD_NUMBER: _ClassVar[int]
    saved: bool
    environment: str
    path: str
    absolute_path: str
    datasets_json: str
    etag: str
    errors: _containers.RepeatedCompositeFieldContainer[DataloaderProblem]
    warnings: _containers.RepeatedCompositeFieldContainer[DataloaderProblem]
    replayed: bool
    config_updated: bool
    def __init__(self, saved: _Optional[bool] = ..., environment: _Optional[str] = ..., path: _Optional[str] = ..., absolute_path: _Optional[str] = ..., datasets_json: _Optional[str] = ..., etag: _Optional[str] = ..., errors: _Optional[_Iterable[_Union[DataloaderProblem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[DataloaderProblem, _Mapping]]] = ..., replayed: _Optional[bool] = ..., config_updated: _Optional[bool] = ...) -> None: ...

class GetDataloaderSchemaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DataloaderField(_message.Message):
    __slots__ = ("name", "kind", "default_json", "choices", "supported", "minimum", "exclusive_minimum", "required", "aliases")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_JSON_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_MINIMUM_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    default_json: str
    choices: _containers.RepeatedScalarFieldContainer[str]
    supported: _containers.RepeatedScalarFieldContainer[str]
    minimum: float
    exclusive_minimum: bool
    required: bool
    aliases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., default_json: _Optional[str] = ..., choices: _Optional[_Iterable[str]] = ..., supported: _Optional[_Iterable[str]] = ..., minimum: _Optional[float] = ..., exclusive_minimum: _Optional[bool] = ..., required: _Optional[bool] = ..., aliases: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDataloaderSchemaResponse(_message.Message):
    __slots__ = ("fields",)
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.RepeatedCompositeFieldContainer[DataloaderField]
    def __init__(self, fields: _Optional[_Iterable[_Union[DataloaderField, _Mapping]]] = ...) -> None: ...
