import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from simpletuner.api.common.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QuotaType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_TYPE_UNSPECIFIED: _ClassVar[QuotaType]
    QUOTA_TYPE_CONCURRENT_JOBS: _ClassVar[QuotaType]
    QUOTA_TYPE_GPUS: _ClassVar[QuotaType]
    QUOTA_TYPE_JOBS_PER_HOUR: _ClassVar[QuotaType]
    QUOTA_TYPE_JOBS_PER_DAY: _ClassVar[QuotaType]
    QUOTA_TYPE_COST_DAILY: _ClassVar[QuotaType]
    QUOTA_TYPE_COST_MONTHLY: _ClassVar[QuotaType]

class QuotaAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_ACTION_UNSPECIFIED: _ClassVar[QuotaAction]
    QUOTA_ACTION_BLOCK: _ClassVar[QuotaAction]
    QUOTA_ACTION_WARN: _ClassVar[QuotaAction]
    QUOTA_ACTION_REQUIRE_APPROVAL: _ClassVar[QuotaAction]

class QuotaScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_SCOPE_UNSPECIFIED: _ClassVar[QuotaScope]
    QUOTA_SCOPE_ORGANIZATION: _ClassVar[QuotaScope]
    QUOTA_SCOPE_TEAM: _ClassVar[QuotaScope]
    QUOTA_SCOPE_USER: _ClassVar[QuotaScope]
QUOTA_TYPE_UNSPECIFIED: QuotaType
QUOTA_TYPE_CONCURRENT_JOBS: QuotaType
QUOTA_TYPE_GPUS: QuotaType
QUOTA_TYPE_JOBS_PER_HOUR: QuotaType
QUOTA_TYPE_JOBS_PER_DAY: QuotaType
QUOTA_TYPE_COST_DAILY: QuotaType
QUOTA_TYPE_COST_MONTHLY: QuotaType
QUOTA_ACTION_UNSPECIFIED: QuotaAction
QUOTA_ACTION_BLOCK: QuotaAction
QUOTA_ACTION_WARN: QuotaAction
QUOTA_ACTION_REQUIRE_APPROVAL: QuotaAction
QUOTA_SCOPE_UNSPECIFIED: QuotaScope
QUOTA_SCOPE_ORGANIZATION: QuotaScope
QUOTA_SCOPE_TEAM: QuotaScope
QUOTA_SCOPE_USER: QuotaScope

class Organization(_message.Message):
    __slots__ = ("id", "name", "slug", "description", "is_active", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    slug: str
    description: str
    is_active: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ..., is_active: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("id", "org_id", "name", "slug", "description", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    org_id: str
    name: str
    slug: str
    description: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., org_id: _Optional[str] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("user_id", "username", "role")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    username: str
    role: str
    def __init__(self, user_id: _Optional[str] = ..., username: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class QuotaCeiling(_message.Message):
    __slots__ = ("scope", "scope_id", "quota_type", "limit", "action")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    QUOTA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    scope: QuotaScope
    scope_id: str
    quota_type: QuotaType
    limit: float
    action: QuotaAction
    def __init__(self, scope: _Optional[_Union[QuotaScope, str]] = ..., scope_id: _Optional[str] = ..., quota_type: _Optional[_Union[QuotaType, str]] = ..., limit: _Optional[float] = ..., action: _Optional[_Union[QuotaAction, str]] = ...) -> None: ...

class CreateOrganizationRequest(_message.Message):
    __slots__ = ("name", "slug", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    slug: str
    description: str
    def __init__(self, name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateOrganizationResponse(_message.Message):
    __slots__ = ("organization",)
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    organization: Organization
    def __init__(self, organization: _Optional[_Union[Organization, _Mapping]] = ...) -> None: ...

class ListOrganizationsRequest(_message.Message):
    __slots__ = ("include_inactive",)
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    include_inactive: bool
    def __init__(self, include_inactive: _Optional[bool] = ...) -> None: ...

class ListOrganizationsResponse(_message.Message):
    __slots__ = ("organizations",)
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    organizations: _containers.RepeatedCompositeFieldContainer[Organization]
    def __init__(self, organizations: _Optional[_Iterable[_Union[Organization, _Mapping]]] = ...) -> None: ...

class GetOrganizationRequest(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class GetOrganizationResponse(_message.Message):
    __slots__ = ("organization",)
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    organization: Organization
    def __init__(self, organization: _Optional[_Union[Organization, _Mapping]] = ...) -> None: ...

class UpdateOrganizationRequest(_message.Message):
    __slots__ = ("org_id", "name", "description", "is_active")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    name: str
    description: str
    is_active: bool
    def __init__(self, org_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., is_active: _Optional[bool] = ...) -> None: ...

class UpdateOrganizationResponse(_message.Message):
    __slots__ = ("organization",)
    ORGANIZATION_FIELD_NUMBER: _ClassVar[int]
    organization: Organization
    def __init__(self, organization: _Optional[_Union[Organization, _Mapping]] = ...) -> None: ...

class DeleteOrganizationRequest(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class DeleteOrganizationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOrganizationMembersRequest(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class ListOrganizationMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class AddOrganizationMemberRequest(_message.Message):
    __slots__ = ("org_id", "user_id", "role")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    user_id: str
    role: str
    def __init__(self, org_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class AddOrganizationMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class RemoveOrganizationMemberRequest(_message.Message):
    __slots__ = ("org_id", "user_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    user_id: str
    def __init__(self, org_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class RemoveOrganizationMemberResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateTeamRequest(_message.Message):
    __slots__ = ("org_id", "name", "slug", "description")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    name: str
    slug: str
    description: str
    def __init__(self, org_id: _Optional[str] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ("org_id",)
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    def __init__(self, org_id: _Optional[str] = ...) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[Team]
    def __init__(self, teams: _Optional[_Iterable[_Union[Team, _Mapping]]] = ...) -> None: ...

class GetTeamRequest(_message.Message):
    __slots__ = ("org_id", "team_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class GetTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class UpdateTeamRequest(_message.Message):
    __slots__ = ("org_id", "team_id", "name", "description")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    name: str
    description: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class UpdateTeamResponse(_message.Message):
    __slots__ = ("team",)
    TEAM_FIELD_NUMBER: _ClassVar[int]
    team: Team
    def __init__(self, team: _Optional[_Union[Team, _Mapping]] = ...) -> None: ...

class DeleteTeamRequest(_message.Message):
    __slots__ = ("org_id", "team_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class DeleteTeamResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTeamMembersRequest(_message.Message):
    __slots__ = ("org_id", "team_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ...) -> None: ...

class ListTeamMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class AddTeamMemberRequest(_message.Message):
    __slots__ = ("org_id", "team_id", "user_id", "role")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    user_id: str
    role: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class AddTeamMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class RemoveTeamMemberRequest(_message.Message):
    __slots__ = ("org_id", "team_id", "user_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    user_id: str
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class RemoveTeamMemberResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetOrganizationQuotaRequest(_message.Message):
    __slots__ = ("org_id", "quota_type", "limit", "action")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    QUOTA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    quota_type: QuotaType
    limit: float
    action: QuotaAction
    def __init__(self, org_id: _Optional[str] = ..., quota_type: _Optional[_Union[QuotaType, str]] = ..., limit: _Optional[float] = ..., action: _Optional[_Union[QuotaAction, str]] = ...) -> None: ...

class SetOrganizationQuotaResponse(_message.Message):
    __slots__ = ("ceilings",)
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[QuotaCeiling]
    def __init__(self, ceilings: _Optional[_Iterable[_Union[QuotaCeiling, _Mapping]]] = ...) -> None: ...

class SetTeamQuotaRequest(_message.Message):
    __slots__ = ("org_id", "team_id", "quota_type", "limit", "action")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    QUOTA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    team_id: str
    quota_type: QuotaType
    limit: float
    action: QuotaAction
    def __init__(self, org_id: _Optional[str] = ..., team_id: _Optional[str] = ..., quota_type: _Optional[_Union[QuotaType, str]] = ..., limit: _Optional[float] = ..., action: _Optional[_Union[QuotaAction, str]] = ...) -> None: ...

class SetTeamQuotaResponse(_message.Message):
    __slots__ = ("ceilings",)
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[QuotaCeiling]
    def __init__(self, ceilings: _Optional[_Iterable[_Union[QuotaCeiling, _Mapping]]] = ...) -> None: ...

class SetUserQuotaRequest(_message.Message):
    __slots__ = ("user_id", "quota_type", "limit", "action")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    QUOTA_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    quota_type: QuotaType
    limit: float
    action: QuotaAction
    def __init__(self, user_id: _Optional[str] = ..., quota_type: _Optional[_Union[QuotaType, str]] = ..., limit: _Optional[float] = ..., action: _Optional[_Union[QuotaAction, str]] = ...) -> None: ...

class SetUserQuotaResponse(_message.Message):
    __slots__ = ("ceilings",)
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[QuotaCeiling]
    def __init__(self, ceilings: _Optional[_Iterable[_Union[QuotaCeiling, _Mapping]]] = ...) -> None: ...

class ListQuotaCeilingsRequest(_message.Message):
    __slots__ = ("scope", "scope_id")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    scope: QuotaScope
    scope_id: str
    def __init__(self, scope: _Optional[_Union[QuotaScope, str]] = ..., scope_id: _Optional[str] = ...) -> None: ...

class ListQuotaCeilingsResponse(_message.Message):
    __slots__ = ("ceilings",)
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[QuotaCeiling]
    def __init__(self, ceilings: _Optional[_Iterable[_Union[QuotaCeiling, _Mapping]]] = ...) -> None: ...

class GetEffectiveCeilingsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetEffectiveCeilingsResponse(_message.Message):
    __slots__ = ("ceilings",)
    CEILINGS_FIELD_NUMBER: _ClassVar[int]
    ceilings: _containers.RepeatedCompositeFieldContainer[QuotaCeiling]
    def __init__(self, ceilings: _Optional[_Iterable[_Union[QuotaCeiling, _Mapping]]] = ...) -> None: ...

class GetMembershipRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetMembershipResponse(_message.Message):
    __slots__ = ("level_priority", "level_names", "team_ids", "org_ids")
    LEVEL_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    TEAM_IDS_FIELD_NUMBER: _ClassVar[int]
    ORG_IDS_FIELD_NUMBER: _ClassVar[int]
    level_priority: int
    level_names: _containers.RepeatedScalarFieldContainer[str]
    team_ids: _containers.RepeatedScalarFieldContainer[str]
    org_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, level_priority: _Optional[int] = ..., level_names: _Optional[_Iterable[str]] = ..., team_ids: _Optional[_Iterable[str]] = ..., org_ids: _Optional[_Iterable[str]] = ...) -> None: ...
