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
