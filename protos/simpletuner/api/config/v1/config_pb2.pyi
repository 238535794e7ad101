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

class EnvironmentMetadata(_message.Message):
    __slots__ = ("description", "tags", "owner_id", "create_time", "update_time", "use_environment_defaults")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USE_ENVIRONMENT_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    owner_id: str
    create_time: str
    update_time: str
    use_environment_defaults: bool
    def __init__(self, description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., owner_id: _Optional[str] = ..., create_time: _Optional[str] = ..., update_time: _Optional[str] = ..., use_environment_defaults: _Optional[bool] = ...) -> None: ...

class Environment(_message.Message):
    __slots__ = ("name", "config_json", "metadata", "dataloaders", "is_active", "unknown_keys", "model_family", "model_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DATALOADERS_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_KEYS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FAMILY_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    config_json: str
    metadata: EnvironmentMetadata
    dataloaders: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    unknown_keys: _containers.RepeatedScalarFieldContainer[str]
    model_family: str
    model_type: str
    def __init__(self, name: _Optional[str] = ..., config_json: _Optional[str] = ..., metadata: _Optional[_Union[EnvironmentMetadata, _Mapping]] = ..., dataloaders: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ..., unknown_keys: _Optional[_Iterable[str]] = ..., model_family: _Optional[str] = ..., model_type: _Optional[str] = ...) -> None: ...

class ListEnvironmentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListEnvironmentsResponse(_message.Message):
    __slots__ = ("environments", "active")
    ENVIRONMENTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    environments: _containers.RepeatedCompositeFieldContainer[Environment]
    active: str
    def __init__(self, environments: _Optional[_Iterable[_Union[Environment, _Mapping]]] = ..., active: _Optional[str] = ...) -> None: ...

class GetEnvironmentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class CreateEnvironmentRequest(_message.Message):
    __slots__ = ("name", "model_family", "model_flavour", "model_type", "lora_type", "description", "tags", "example")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_FAMILY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FLAVOUR_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    LORA_TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    model_family: str
    model_flavour: str
    model_type: str
    lora_type: str
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    example: str
    def __init__(self, name: _Optional[str] = ..., model_family: _Optional[str] = ..., model_flavour: _Optional[str] = ..., model_type: _Optional[str] = ..., lora_type: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., example: _Optional[str] = ...) -> None: ...

class CreateEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class UpdateEnvironmentRequest(_message.Message):
    __slots__ = ("name", "config_json", "description", "tags", "replace_tags", "use_environment_defaults")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_TAGS_FIELD_NUMBER: _ClassVar[int]
    USE_ENVIRONMENT_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    config_json: str
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    replace_tags: bool
    use_environment_defaults: bool
    def __init__(self, name: _Optional[str] = ..., config_json: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., replace_tags: _Optional[bool] = ..., use_environment_defaults: _Optional[bool] = ...) -> None: ...

class UpdateEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class DeleteEnvironmentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteEnvironmentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ActivateEnvironmentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ActivateEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class CopyEnvironmentRequest(_message.Message):
    __slots__ = ("name", "target_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    target_name: str
    def __init__(self, name: _Optional[str] = ..., target_name: _Optional[str] = ...) -> None: ...

class CopyEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class RenameEnvironmentRequest(_message.Message):
    __slots__ = ("name", "new_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    new_name: str
    def __init__(self, name: _Optional[str] = ..., new_name: _Optional[str] = ...) -> None: ...

class RenameEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class ValidateConfigRequest(_message.Message):
    __slots__ = ("fields", "environment", "use_environment_defaults", "disabled_fields", "save_to_environment")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    USE_ENVIRONMENT_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    SAVE_TO_ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.ScalarMap[str, str]
    environment: str
    use_environment_defaults: bool
    disabled_fields: _containers.RepeatedScalarFieldContainer[str]
    save_to_environment: bool
    def __init__(self, fields: _Optional[_Mapping[str, str]] = ..., environment: _Optional[str] = ..., use_environment_defaults: _Optional[bool] = ..., disabled_fields: _Optional[_Iterable[str]] = ..., save_to_environment: _Optional[bool] = ...) -> None: ...

class ConfigProblem(_message.Message):
    __slots__ = ("field", "message")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    field: str
    message: str
    def __init__(self, field: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ValidateConfigResponse(_message.Message):
    __slots__ = ("valid", "errors", "warnings", "resolved_json", "environment", "saved", "configs_dir")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_JSON_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    SAVED_FIELD_NUMBER: _ClassVar[int]
    CONFIGS_DIR_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedCompositeFieldContainer[ConfigProblem]
    warnings: _containers.RepeatedCompositeFieldContainer[ConfigProblem]
    resolved_json: str
    environment: str
    saved: bool
    configs_dir: str
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[ConfigProblem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[ConfigProblem, _Mapping]]] = ..., resolved_json: _Optional[str] = ..., environment: _Optional[str] = ..., saved: _Optional[bool] = ..., configs_dir: _Optional[str] = ...) -> None: ...

class ExportEnvironmentRequest(_message.Message):
    __slots__ = ("name", "include_metadata")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_METADATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    include_metadata: bool
    def __init__(self, name: _Optional[str] = ..., include_metadata: _Optional[bool] = ...) -> None: ...

class ExportEnvironmentResponse(_message.Message):
    __slots__ = ("document_json",)
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    def __init__(self, document_json: _Optional[str] = ...) -> None: ...

class ImportEnvironmentRequest(_message.Message):
    __slots__ = ("document_json", "name", "overwrite")
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    name: str
    overwrite: bool
    def __init__(self, document_json: _Optional[str] = ..., name: _Optional[str] = ..., overwrite: _Optional[bool] = ...) -> None: ...

class ImportEnvironmentResponse(_message.Message):
    __slots__ = ("environment",)
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    environment: Environment
    def __init__(self, environment: _Optional[_Union[Environment, _Mapping]] = ...) -> None: ...

class RegenerateDataloaderRequest(_message.Message):
    __slots__ = ("name", "path", "include_defaults")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    include_defaults: bool
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., include_defaults: _Optional[bool] = ...) -> None: ...

class RegenerateDataloaderResponse(_message.Message):
    __slots__ = ("path", "absolute_path", "dataloader_json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_PATH_FIELD_NUMBER: _ClassVar[int]
    DATALOADER_JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    absolute_path: str
    dataloader_json: str
    def __init__(self, path: _Optional[str] = ..., absolute_path: _Optional[str] = ..., dataloader_json: _Optional[str] = ...) -> None: ...

class GetLycorisConfigRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLycorisConfigResponse(_message.Message):
    __slots__ = ("lycoris_config_json",)
    LYCORIS_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    lycoris_config_json: str
    def __init__(self, lycoris_config_json: _Optional[str] = ...) -> None: ...

class UpdateLycorisConfigRequest(_message.Message):
    __slots__ = ("name", "lycoris_config_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LYCORIS_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    lycoris_config_json: str
    def __init__(self, name: _Optional[str] = ..., lycoris_config_json: _Optional[str] = ...) -> None: ...

class UpdateLycorisConfigResponse(_message.Message):
    __slots__ = ("lycoris_config_json", "warnings")
    LYCORIS_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    lycoris_config_json: str
    warnings: _containers.RepeatedCompositeFieldContainer[ConfigProblem]
    def __init__(self, lycoris_config_json: _Optional[str] = ..., warnings: _Optional[_Iterable[_Union[ConfigProblem, _Mapping]]] = ...) -> None: ...

class ValidateLycorisConfigRequest(_message.Message):
    __slots__ = ("lycoris_config_json",)
    LYCORIS_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    lycoris_config_json: str
    def __init__(self, lycoris_config_json: _Optional[str] = ...) -> None: ...

class ValidateLycorisConfigResponse(_message.Message):
    __slots__ = ("valid", "errors", "warnings")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedCompositeFieldContainer[ConfigProblem]
    warnings: _containers.RepeatedCompositeFieldContainer[ConfigProblem]
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[ConfigProblem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[ConfigProblem, _Mapping]]] = ...) -> None: ...

class Example(_message.Message):
    __slots__ = ("name", "description", "model_family", "model_type", "lora_type", "self_contained")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FAMILY_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    LORA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SELF_CONTAINED_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    model_family: str
    model_type: str
    lora_type: str
    self_contained: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., model_family: _Optional[str] = ..., model_type: _Optional[str] = ..., lora_type: _Optional[str] = ..., self_contained: _Optional[bool] = ...) -> None: ...

class ListExamplesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListExamplesResponse(_message.Message):
    __slots__ = ("examples",)
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    examples: _containers.RepeatedCompositeFieldContainer[Example]
    def __init__(self, examples: _Optional[_Iterable[_Union[Example, _Mapping]]] = ...) -> None: ...
