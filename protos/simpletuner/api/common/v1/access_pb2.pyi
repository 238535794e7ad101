from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Permission(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERMISSION_UNSPECIFIED: _ClassVar[Permission]
    PERMISSION_JOB_SUBMIT: _ClassVar[Permission]
    PERMISSION_JOB_VIEW_OWN: _ClassVar[Permission]
    PERMISSION_JOB_VIEW_ALL: _ClassVar[Permission]
    PERMISSION_JOB_CANCEL_OWN: _ClassVar[Permission]
    PERMISSION_JOB_CANCEL_ALL: _ClassVar[Permission]
    PERMISSION_JOB_DELETE_OWN: _ClassVar[Permission]
    PERMISSION_JOB_DELETE_ALL: _ClassVar[Permission]
    PERMISSION_JOB_PRIORITY_HIGH: _ClassVar[Permission]
    PERMISSION_JOB_BYPASS_QUEUE: _ClassVar[Permission]
    PERMISSION_JOB_BYPASS_APPROVAL: _ClassVar[Permission]
    PERMISSION_JOB_BYPASS_QUOTA: _ClassVar[Permission]
    PERMISSION_CONFIG_VIEW: _ClassVar[Permission]
    PERMISSION_CONFIG_CREATE: _ClassVar[Permission]
    PERMISSION_CONFIG_EDIT_OWN: _ClassVar[Permission]
    PERMISSION_CONFIG_EDIT_ALL: _ClassVar[Permission]
    PERMISSION_CONFIG_DELETE_OWN: _ClassVar[Permission]
    PERMISSION_CONFIG_DELETE_ALL: _ClassVar[Permission]
    PERMISSION_QUEUE_VIEW: _ClassVar[Permission]
    PERMISSION_QUEUE_VIEW_ALL: _ClassVar[Permission]
    PERMISSION_QUEUE_CANCEL_OWN: _ClassVar[Permission]
    PERMISSION_QUEUE_CANCEL_ALL: _ClassVar[Permission]
    PERMISSION_QUEUE_APPROVE: _ClassVar[Permission]
    PERMISSION_QUEUE_MANAGE: _ClassVar[Permission]
    PERMISSION_QUOTA_VIEW: _ClassVar[Permission]
    PERMISSION_QUOTA_MANAGE: _ClassVar[Permission]
    PERMISSION_DATASETS_VIEW: _ClassVar[Permission]
    PERMISSION_DATASETS_UPLOAD: _ClassVar[Permission]
    PERMISSION_ADMIN_USERS: _ClassVar[Permission]
    PERMISSION_ADMIN_LEVELS: _ClassVar[Permission]
    PERMISSION_ADMIN_QUOTAS: _ClassVar[Permission]
    PERMISSION_ADMIN_APPROVE: _ClassVar[Permission]
    PERMISSION_ADMIN_CONFIG: _ClassVar[Permission]
    PERMISSION_ADMIN_AUDIT: _ClassVar[Permission]
    PERMISSION_ADMIN_QUEUE: _ClassVar[Permission]
    PERMISSION_ADMIN_WORKERS: _ClassVar[Permission]
    PERMISSION_ORG_VIEW: _ClassVar[Permission]
    PERMISSION_ORG_CREATE: _ClassVar[Permission]
    PERMISSION_ORG_EDIT: _ClassVar[Permission]
    PERMISSION_ORG_DELETE: _ClassVar[Permission]
    PERMISSION_ORG_MANAGE_MEMBERS: _ClassVar[Permission]
    PERMISSION_ORG_MANAGE_QUOTAS: _ClassVar[Permission]
    PERMISSION_TEAM_VIEW: _ClassVar[Permission]
    PERMISSION_TEAM_CREATE: _ClassVar[Permission]
    PERMISSION_TEAM_EDIT: _ClassVar[Permission]
    PERMISSION_TEAM_DELETE: _ClassVar[Permission]
    PERMISSION_TEAM_MANAGE_MEMBERS: _ClassVar[Permission]
    PERMISSION_TEAM_MANAGE_QUOTAS: _ClassVar[Permission]
    PERMISSION_API_ACCESS: _ClassVar[Permission]
    PERMISSION_API_KEYS_OWN: _ClassVar[Permission]
    PERMISSION_API_KEYS_ALL: _ClassVar[Permission]

class Audience(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIENCE_UNSPECIFIED: _ClassVar[Audience]
    AUDIENCE_USER: _ClassVar[Audience]
    AUDIENCE_SERVICE: _ClassVar[Audience]
    AUDIENCE_SERVICE_OR_USER: _ClassVar[Audience]
    AUDIENCE_SELF_AUTHENTICATING: _ClassVar[Audience]
PERMISSION_UNSPECIFIED: Permission
PERMISSION_JOB_SUBMIT: Permission
PERMISSION_JOB_VIEW_OWN: Permission
PERMISSION_JOB_VIEW_ALL: Permission
PERMISSION_JOB_CANCEL_OWN: Permission
PERMISSION_JOB_CANCEL_ALL: Permission
PERMISSION_JOB_DELETE_OWN: Permission
PERMISSION_JOB_DELETE_ALL: Permission
PERMISSION_JOB_PRIORITY_HIGH: Permission
PERMISSION_JOB_BYPASS_QUEUE: Permission
PERMISSION_JOB_BYPASS_APPROVAL: Permission
PERMISSION_JOB_BYPASS_QUOTA: Permission
PERMISSION_CONFIG_VIEW: Permission
PERMISSION_CONFIG_CREATE: Permission
PERMISSION_CONFIG_EDIT_OWN: Permission
PERMISSION_CONFIG_EDIT_ALL: Permission
PERMISSION_CONFIG_DELETE_OWN: Permission
PERMISSION_CONFIG_DELETE_ALL: Permission
PERMISSION_QUEUE_VIEW: Permission
PERMISSION_QUEUE_VIEW_ALL: Permission
PERMISSION_QUEUE_CANCEL_OWN: Permission
PERMISSION_QUEUE_CANCEL_ALL: Permission
PERMISSION_QUEUE_APPROVE: Permission
PERMISSION_QUEUE_MANAGE: Permission
PERMISSION_QUOTA_VIEW: Permission
PERMISSION_QUOTA_MANAGE: Permission
PERMISSION_DATASETS_VIEW: Permission
PERMISSION_DATASETS_UPLOAD: Permission
PERMISSION_ADMIN_USERS: Permission
PERMISSION_ADMIN_LEVELS: Permission
PERMISSION_ADMIN_QUOTAS: Permission
PERMISSION_ADMIN_APPROVE: Permission
PERMISSION_ADMIN_CONFIG: Permission
PERMISSION_ADMIN_AUDIT: Permission
PERMISSION_ADMIN_QUEUE: Permission
PERMISSION_ADMIN_WORKERS: Permission
PERMISSION_ORG_VIEW: Permission
PERMISSION_ORG_CREATE: Permission
PERMISSION_ORG_EDIT: Permission
PERMISSION_ORG_DELETE: Permission
PERMISSION_ORG_MANAGE_MEMBERS: Permission
PERMISSION_ORG_MANAGE_QUOTAS: Permission
PERMISSION_TEAM_VIEW: Permission
PERMISSION_TEAM_CREATE: Permission
PERMISSION_TEAM_EDIT: Permission
PERMISSION_TEAM_DELETE: Permission
PERMISSION_TEAM_MANAGE_MEMBERS: Permission
PERMISSION_TEAM_MANAGE_QUOTAS: Permission
PERMISSION_API_ACCESS: Permission
PERMISSION_API_KEYS_OWN: Permission
PERMISSION_API_KEYS_ALL: Permission
AUDIENCE_UNSPECIFIED: Audience
AUDIENCE_USER: Audience
AUDIENCE_SERVICE: Audience
AUDIENCE_SERVICE_OR_USER: Audience
AUDIENCE_SELF_AUTHENTICATING: Audience
ACCESS_FIELD_NUMBER: _ClassVar[int]
access: _descriptor.FieldDescriptor

class AccessRule(_message.Message):
    __slots__ = ("audience", "permission")
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    audience: Audience
    permission: Permission
    def __init__(self, audience: _Optional[_Union[Audience, str]] = ..., permission: _Optional[_Union[Permission, str]] = ...) -> None: ...
