import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from simpletuner.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResourceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOURCE_TYPE_UNSPECIFIED: _ClassVar[ResourceType]
    RESOURCE_TYPE_CONFIG: _ClassVar[ResourceType]
    RESOURCE_TYPE_HARDWARE: _ClassVar[ResourceType]
    RESOURCE_TYPE_PROVIDER: _ClassVar[ResourceType]
    RESOURCE_TYPE_OUTPUT_PATH: _ClassVar[ResourceType]
RESOURCE_TYPE_UNSPECIFIED: ResourceType
RESOURCE_TYPE_CONFIG: ResourceType
RESOURCE_TYPE_HARDWARE: ResourceType
RESOURCE_TYPE_PROVIDER: ResourceType
RESOURCE_TYPE_OUTPUT_PATH: ResourceType

class GetServiceInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServiceInfoResponse(_message.Message):
    __slots__ = ("info",)
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: _common_pb2.ServiceInfo
    def __init__(self, info: _Optional[_Union[_common_pb2.ServiceInfo, _Mapping]] = ...) -> None: ...

class IssueServiceTokenRequest(_message.Message):
    __slots__ = ("service", "secret")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    service: str
    secret: str
    def __init__(self, service: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class IssueServiceTokenResponse(_message.Message):
    __slots__ = ("token", "expire_time")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    token: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetSetupStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSetupStatusResponse(_message.Message):
    __slots__ = ("needs_setup", "has_admin", "user_count", "registration_enabled")
    NEEDS_SETUP_FIELD_NUMBER: _ClassVar[int]
    HAS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    USER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    needs_setup: bool
    has_admin: bool
    user_count: int
    registration_enabled: bool
    def __init__(self, needs_setup: _Optional[bool] = ..., has_admin: _Optional[bool] = ..., user_count: _Optional[int] = ..., registration_enabled: _Optional[bool] = ...) -> None: ...

class ClientInfo(_message.Message):
    __slots__ = ("ip", "user_agent")
    IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    ip: str
    user_agent: str
    def __init__(self, ip: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class Level(_message.Message):
    __slots__ = ("id", "name", "description", "priority", "is_system", "permissions")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    IS_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    priority: int
    is_system: bool
    permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., priority: _Optional[int] = ..., is_system: _Optional[bool] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "email", "username", "display_name", "is_active", "is_admin", "auth_provider", "levels", "permissions", "create_time", "last_login_time", "permission_overrides")
    class PermissionOverridesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    AUTH_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    username: str
    display_name: str
    is_active: bool
    is_admin: bool
    auth_provider: str
    levels: _containers.RepeatedCompositeFieldContainer[Level]
    permissions: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    last_login_time: _timestamp_pb2.Timestamp
    permission_overrides: _containers.ScalarMap[str, bool]
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., is_active: _Optional[bool] = ..., is_admin: _Optional[bool] = ..., auth_provider: _Optional[str] = ..., levels: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., permissions: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., permission_overrides: _Optional[_Mapping[str, bool]] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("token", "expire_time")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    token: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFirstAdminRequest(_message.Message):
    __slots__ = ("email", "username", "password", "display_name", "client")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    username: str
    password: str
    display_name: str
    client: ClientInfo
    def __init__(self, email: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., display_name: _Optional[str] = ..., client: _Optional[_Union[ClientInfo, _Mapping]] = ...) -> None: ...

class CreateFirstAdminResponse(_message.Message):
    __slots__ = ("user", "session")
    USER_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    user: User
    session: Session
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("login", "password", "remember_me", "client")
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REMEMBER_ME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    login: str
    password: str
    remember_me: bool
    client: ClientInfo
    def __init__(self, login: _Optional[str] = ..., password: _Optional[str] = ..., remember_me: _Optional[bool] = ..., client: _Optional[_Union[ClientInfo, _Mapping]] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("user", "session")
    USER_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    user: User
    session: Session
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ("session_token",)
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    def __init__(self, session_token: _Optional[str] = ...) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("session_token", "api_key", "client")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    api_key: str
    client: ClientInfo
    def __init__(self, session_token: _Optional[str] = ..., api_key: _Optional[str] = ..., client: _Optional[_Union[ClientInfo, _Mapping]] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("user", "permissions", "caller_token", "caller_token_expire_time", "credential_kind")
    USER_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    CALLER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CALLER_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_KIND_FIELD_NUMBER: _ClassVar[int]
    user: User
    permissions: _containers.RepeatedScalarFieldContainer[str]
    caller_token: str
    caller_token_expire_time: _timestamp_pb2.Timestamp
    credential_kind: str
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., permissions: _Optional[_Iterable[str]] = ..., caller_token: _Optional[str] = ..., caller_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., credential_kind: _Optional[str] = ...) -> None: ...

class ChangePasswordRequest(_message.Message):
    __slots__ = ("current_password", "new_password")
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    current_password: str
    new_password: str
    def __init__(self, current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class ChangePasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("id", "name", "key_prefix", "user_id", "create_time", "last_use_time", "expire_time", "is_active", "scoped_permissions")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_USE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SCOPED_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    key_prefix: str
    user_id: str
    create_time: _timestamp_pb2.Timestamp
    last_use_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    is_active: bool
    scoped_permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., key_prefix: _Optional[str] = ..., user_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_use_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_active: _Optional[bool] = ..., scoped_permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("name", "expires_days", "scoped_permissions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_DAYS_FIELD_NUMBER: _ClassVar[int]
    SCOPED_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    expires_days: int
    scoped_permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., expires_days: _Optional[int] = ..., scoped_permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "key_info")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_INFO_FIELD_NUMBER: _ClassVar[int]
    key: str
    key_info: ApiKey
    def __init__(self, key: _Optional[str] = ..., key_info: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("all_users",)
    ALL_USERS_FIELD_NUMBER: _ClassVar[int]
    all_users: bool
    def __init__(self, all_users: _Optional[bool] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("email", "username", "password", "display_name", "level_names")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    email: str
    username: str
    password: str
    display_name: str
    level_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, email: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., display_name: _Optional[str] = ..., level_names: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("include_inactive",)
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    def __init__(self, include_inactive: _Optional[bool] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("user_id", "email", "display_name", "password", "is_active", "level_names", "replace_levels", "add_level_names", "remove_level_names")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    REPLACE_LEVELS_FIELD_NUMBER: _ClassVar[int]
    ADD_LEVEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    REMOVE_LEVEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    display_name: str
    password: str
    is_active: bool
    level_names: _containers.RepeatedScalarFieldContainer[str]
    replace_levels: bool
    add_level_names: _containers.RepeatedScalarFieldContainer[str]
    remove_level_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., display_name: _Optional[str] = ..., password: _Optional[str] = ..., is_active: _Optional[bool] = ..., level_names: _Optional[_Iterable[str]] = ..., replace_levels: _Optional[bool] = ..., add_level_names: _Optional[_Iterable[str]] = ..., remove_level_names: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLevelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLevelsResponse(_message.Message):
    __slots__ = ("levels", "permissions")
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    levels: _containers.RepeatedCompositeFieldContainer[Level]
    permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, levels: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("id", "create_time", "event_type", "actor_id", "actor_username", "actor_ip", "target_type", "target_id", "details_json", "entry_hash")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USERNAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_IP_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_JSON_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    id: int
    create_time: _timestamp_pb2.Timestamp
    event_type: str
    actor_id: str
    actor_username: str
    actor_ip: str
    target_type: str
    target_id: str
    details_json: str
    entry_hash: str
    def __init__(self, id: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_type: _Optional[str] = ..., actor_id: _Optional[str] = ..., actor_username: _Optional[str] = ..., actor_ip: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., details_json: _Optional[str] = ..., entry_hash: _Optional[str] = ...) -> None: ...

class RecordAuditEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: AuditEvent
    def __init__(self, event: _Optional[_Union[AuditEvent, _Mapping]] = ...) -> None: ...

class RecordAuditEventResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: AuditEvent
    def __init__(self, event: _Optional[_Union[AuditEvent, _Mapping]] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("event_type_prefix", "actor_id", "target_type", "target_id", "start_time", "end_time", "page_size", "offset")
    EVENT_TYPE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    event_type_prefix: str
    actor_id: str
    target_type: str
    target_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    offset: int
    def __init__(self, event_type_prefix: _Optional[str] = ..., actor_id: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events", "total")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    total: int
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class VerifyAuditLogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyAuditLogResponse(_message.Message):
    __slots__ = ("valid", "checked", "first_broken_id", "message")
    VALID_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    checked: int
    first_broken_id: int
    message: str
    def __init__(self, valid: _Optional[bool] = ..., checked: _Optional[int] = ..., first_broken_id: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class PruneAuditLogRequest(_message.Message):
    __slots__ = ("older_than_days",)
    OLDER_THAN_DAYS_FIELD_NUMBER: _ClassVar[int]
    older_than_days: int
    def __init__(self, older_than_days: _Optional[int] = ...) -> None: ...

class PruneAuditLogResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class CreateLevelRequest(_message.Message):
    __slots__ = ("name", "description", "priority", "permissions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    priority: int
    permissions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., priority: _Optional[int] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateLevelResponse(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: Level
    def __init__(self, level: _Optional[_Union[Level, _Mapping]] = ...) -> None: ...

class UpdateLevelRequest(_message.Message):
    __slots__ = ("level_id", "name", "description", "priority", "permissions", "replace_permissions")
    LEVEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    level_id: str
    name: str
    description: str
    priority: int
    permissions: _containers.RepeatedScalarFieldContainer[str]
    replace_permissions: bool
    def __init__(self, level_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., priority: _Optional[int] = ..., permissions: _Optional[_Iterable[str]] = ..., replace_permissions: _Optional[bool] = ...) -> None: ...

class UpdateLevelResponse(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: Level
    def __init__(self, level: _Optional[_Union[Level, _Mapping]] = ...) -> None: ...

class DeleteLevelRequest(_message.Message):
    __slots__ = ("level_id",)
    LEVEL_ID_FIELD_NUMBER: _ClassVar[int]
    level_id: str
    def __init__(self, level_id: _Optional[str] = ...) -> None: ...

class DeleteLevelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetUserPermissionRequest(_message.Message):
    __slots__ = ("user_id", "permission", "granted")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    permission: str
    granted: bool
    def __init__(self, user_id: _Optional[str] = ..., permission: _Optional[str] = ..., granted: _Optional[bool] = ...) -> None: ...

class SetUserPermissionResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ResourceRule(_message.Message):
    __slots__ = ("id", "name", "resource_type", "pattern", "allow", "description", "level_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    resource_type: ResourceType
    pattern: str
    allow: bool
    description: str
    level_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., resource_type: _Optional[_Union[ResourceType, str]] = ..., pattern: _Optional[str] = ..., allow: _Optional[bool] = ..., description: _Optional[str] = ..., level_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListResourceRulesRequest(_message.Message):
    __slots__ = ("level_id",)
    LEVEL_ID_FIELD_NUMBER: _ClassVar[int]
    level_id: str
    def __init__(self, level_id: _Optional[str] = ...) -> None: ...

class ListResourceRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[ResourceRule]
    def __init__(self, rules: _Optional[_Iterable[_Union[ResourceRule, _Mapping]]] = ...) -> None: ...

class CreateResourceRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ResourceRule
    def __init__(self, rule: _Optional[_Union[ResourceRule, _Mapping]] = ...) -> None: ...

class CreateResourceRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ResourceRule
    def __init__(self, rule: _Optional[_Union[ResourceRule, _Mapping]] = ...) -> None: ...

class UpdateResourceRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ResourceRule
    def __init__(self, rule: _Optional[_Union[ResourceRule, _Mapping]] = ...) -> None: ...

class UpdateResourceRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: ResourceRule
    def __init__(self, rule: _Optional[_Union[ResourceRule, _Mapping]] = ...) -> None: ...

class DeleteResourceRuleRequest(_message.Message):
    __slots__ = ("rule_id",)
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    def __init__(self, rule_id: _Optional[str] = ...) -> None: ...

class DeleteResourceRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckResourceAccessRequest(_message.Message):
    __slots__ = ("user_id", "resource_type", "resource")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    resource_type: ResourceType
    resource: str
    def __init__(self, user_id: _Optional[str] = ..., resource_type: _Optional[_Union[ResourceType, str]] = ..., resource: _Optional[str] = ...) -> None: ...

class CheckResourceAccessResponse(_message.Message):
    __slots__ = ("allowed", "rule_id", "reason")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    rule_id: str
    reason: str
    def __init__(self, allowed: _Optional[bool] = ..., rule_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RegistrationSettings(_message.Message):
    __slots__ = ("enabled", "default_level")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    default_level: str
    def __init__(self, enabled: _Optional[bool] = ..., default_level: _Optional[str] = ...) -> None: ...

class GetRegistrationSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRegistrationSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: RegistrationSettings
    def __init__(self, settings: _Optional[_Union[RegistrationSettings, _Mapping]] = ...) -> None: ...

class UpdateRegistrationSettingsRequest(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: RegistrationSettings
    def __init__(self, settings: _Optional[_Union[RegistrationSettings, _Mapping]] = ...) -> None: ...

class UpdateRegistrationSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: RegistrationSettings
    def __init__(self, settings: _Optional[_Union[RegistrationSettings, _Mapping]] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ("email", "username", "password", "display_name", "client")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    username: str
    password: str
    display_name: str
    client: ClientInfo
    def __init__(self, email: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., display_name: _Optional[str] = ..., client: _Optional[_Union[ClientInfo, _Mapping]] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("user", "session")
    USER_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    user: User
    session: Session
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class HubLogin(_message.Message):
    __slots__ = ("saved", "hub_username", "namespaces", "save_time")
    SAVED_FIELD_NUMBER: _ClassVar[int]
    HUB_USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    SAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    saved: bool
    hub_username: str
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    save_time: _timestamp_pb2.Timestamp
    def __init__(self, saved: _Optional[bool] = ..., hub_username: _Optional[str] = ..., namespaces: _Optional[_Iterable[str]] = ..., save_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHubLoginRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHubLoginResponse(_message.Message):
    __slots__ = ("login",)
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    login: HubLogin
    def __init__(self, login: _Optional[_Union[HubLogin, _Mapping]] = ...) -> None: ...

class SaveHubLoginRequest(_message.Message):
    __slots__ = ("token", "hub_username", "namespaces")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    HUB_USERNAME_FIELD_NUMBER: _ClassVar[int]
    NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    token: str
    hub_username: str
    namespaces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, token: _Optional[str] = ..., hub_username: _Optional[str] = ..., namespaces: _Optional[_Iterable[str]] = ...) -> None: ...

class SaveHubLoginResponse(_message.Message):
    __slots__ = ("login",)
    LOGIN_FIELD_NUMBER: _ClassVar[int]
    login: HubLogin
    def __init__(self, login: _Optional[_Union[HubLogin, _Mapping]] = ...) -> None: ...

class DeleteHubLoginRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteHubLoginResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResolveHubTokenRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ResolveHubTokenResponse(_message.Message):
    __slots__ = ("token", "hub_username")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    HUB_USERNAME_FIELD_NUMBER: _ClassVar[int]
    token: str
    hub_username: str
    def __init__(self, token: _Optional[str] = ..., hub_username: _Optional[str] = ...) -> None: ...
