"""AuthService RPCs: proto messages in, domain calls (in worker threads), proto messages out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any, TypeVar

import grpc

from simpletuner.api.auth.v1 import auth_pb2, auth_pb2_grpc
from simpletuner.libs import context, permissions
from simpletuner.libs.protoenums import value_name
from simpletuner.libs.rpc.errors import InvalidArgument, PermissionDenied, Unauthenticated
from simpletuner.libs.rpc.runtime import ServiceRuntime
from simpletuner.libs.timestamps import timestamp

from .accounts import Accounts, Client, NewSession, UserView
from .api_keys import ApiKeys, is_active
from .audit import Actor, AuditLog, Filters, audit_message
from .hub_logins import HubLogins, HubLoginView
from .levels import Levels
from .models import ApiKey, Level, ResourceRule
from .rules import ResourceRules, RuleSpec
from .tokens import TokenIssuer

T = TypeVar("T")


async def _run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Domain calls hash passwords and query the database: keep them off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def level_message(level: Level, granted: set[str]) -> auth_pb2.Level:
    return auth_pb2.Level(
        id=level.id,
        name=level.name,
        description=level.description,
        priority=level.priority,
        is_system=level.is_system,
        permissions=sorted(granted),
    )


def user_message(view: UserView) -> auth_pb2.User:
    user = view.user
    return auth_pb2.User(
        id=user.id,
        email=user.email,
        username=user.username,
        display_name=user.display_name,
        is_active=user.is_active,
        is_admin=view.is_admin,
        auth_provider=user.auth_provider,
        levels=[level_message(level, view.level_permissions.get(level.id, set())) for level in view.levels],
        permissions=sorted(view.permissions),
        create_time=timestamp(user.created_at),
        last_login_time=timestamp(user.last_login_at),
        permission_overrides=view.overrides,
    )


def key_message(key: ApiKey) -> auth_pb2.ApiKey:
    return auth_pb2.ApiKey(
        id=key.id,
        name=key.name,
        key_prefix=key.key_prefix,
        user_id=key.user_id,
        create_time=timestamp(key.created_at),
        last_use_time=timestamp(key.last_used_at),
        expire_time=timestamp(key.expires_at),
        is_active=is_active(key),
        scoped_permissions=list(key.scoped_permissions),
    )


def hub_login_message(view: HubLoginView) -> auth_pb2.HubLogin:
    return auth_pb2.HubLogin(
        saved=view.saved,
        hub_username=view.hub_username,
        namespaces=view.namespaces,
        save_time=timestamp(view.saved_at),
    )


def _session(session: NewSession) -> auth_pb2.Session:
    return auth_pb2.Session(token=session.token, expire_time=timestamp(session.expires_at))


def _client(message: auth_pb2.ClientInfo) -> Client:
    return Client(ip=message.ip, user_agent=message.user_agent)


@dataclass(frozen=True)
class AuthDomain:
    """The auth service's domain objects, built once per process."""

    accounts: Accounts
    keys: ApiKeys
    tokens: TokenIssuer
    audit: AuditLog
    levels: Levels
    rules: ResourceRules
    hub_logins: HubLogins


def rule_message(rule: ResourceRule, level_ids: list[str]) -> auth_pb2.ResourceRule:
    return auth_pb2.ResourceRule(
        id=rule.id,
        name=rule.name,
        resource_type=f"RESOURCE_TYPE_{rule.resource_type.upper()}",
        pattern=rule.pattern,
        allow=rule.allow,
        description=rule.description,
        level_ids=sorted(level_ids),
    )


def rule_spec(message: auth_pb2.ResourceRule) -> RuleSpec:
    return RuleSpec(
        message.name,
        _type_name(message.resource_type),
        message.pattern,
        message.allow,
        message.description,
        list(message.level_ids),
    )


def _type_name(value: int) -> str:
    """RESOURCE_TYPE_OUTPUT_PATH -> "output_path" ("" for an unset type)."""
    return value_name(auth_pb2.ResourceType, "RESOURCE_TYPE_", value)


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    """Identity: users, sessions, API keys, levels, permissions and the audit log."""

    def __init__(self, runtime: ServiceRuntime, domain: AuthDomain) -> None:
        self._runtime = runtime
        self._accounts = domain.accounts
        self._keys = domain.keys
        self._tokens = domain.tokens
        self._audit = domain.audit
        self._levels = domain.levels
        self._rules = domain.rules
        self._hub_logins = domain.hub_logins

    async def GetServiceInfo(
        self, request: auth_pb2.GetServiceInfoRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.GetServiceInfoResponse:
        return auth_pb2.GetServiceInfoResponse(info=await self._runtime.describe())

    async def IssueServiceToken(
        self, request: auth_pb2.IssueServiceTokenRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.IssueServiceTokenResponse:
        token, expires = self._tokens.for_service(request.service, request.secret)
        return auth_pb2.IssueServiceTokenResponse(token=token, expire_time=timestamp(expires))

    async def GetSetupStatus(
        self, request: auth_pb2.GetSetupStatusRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.GetSetupStatusResponse:
        has_admin, user_count, registration = await _run(self._accounts.setup_status)
        return auth_pb2.GetSetupStatusResponse(
            needs_setup=not has_admin, has_admin=has_admin, user_count=user_count, registration_enabled=registration
        )

    async def CreateFirstAdmin(
        self, request: auth_pb2.CreateFirstAdminRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateFirstAdminResponse:
        view, session = await _run(
            self._accounts.create_first_admin,
            request.email,
            request.username,
            request.password,
            request.display_name,
            _client(request.client),
        )
        return auth_pb2.CreateFirstAdminResponse(user=user_message(view), session=_session(session))

    async def Login(self, request: auth_pb2.LoginRequest, ctx: grpc.aio.ServicerContext) -> auth_pb2.LoginResponse:
        view, session = await _run(
            self._accounts.login, request.login, request.password, request.remember_me, _client(request.client)
        )
        return auth_pb2.LoginResponse(user=user_message(view), session=_session(session))

    async def Logout(self, request: auth_pb2.LogoutRequest, ctx: grpc.aio.ServicerContext) -> auth_pb2.LogoutResponse:
        await _run(self._accounts.logout, request.session_token)
        return auth_pb2.LogoutResponse()

    async def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.AuthenticateResponse:
        kind = request.WhichOneof("credential")
        if kind == "session_token":
            view = await _run(self._accounts.session_user, request.session_token)
            allowed = view.permissions
        elif kind == "api_key":
            found = await _run(self._keys.authenticate, request.api_key)
            view, allowed = found.owner, found.permissions
        else:
            raise Unauthenticated("no credential given")
        token, expires = self._tokens.for_user(view.user.id, view.user.username, allowed)
        return auth_pb2.AuthenticateResponse(
            user=user_message(view),
            permissions=sorted(allowed),
            caller_token=token,
            caller_token_expire_time=timestamp(expires),
            credential_kind=kind,
        )

    async def ChangePassword(
        self, request: auth_pb2.ChangePasswordRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ChangePasswordResponse:
        who = context.caller.get()
        await _run(self._accounts.change_password, who.subject, request.current_password, request.new_password)
        return auth_pb2.ChangePasswordResponse()

    async def CreateApiKey(
        self, request: auth_pb2.CreateApiKeyRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateApiKeyResponse:
        key, row = await _run(
            self._keys.create,
            context.caller.get(),
            request.name,
            request.expires_days,
            list(request.scoped_permissions),
        )
        return auth_pb2.CreateApiKeyResponse(key=key, key_info=key_message(row))

    async def ListApiKeys(
        self, request: auth_pb2.ListApiKeysRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ListApiKeysResponse:
        keys = await _run(self._keys.list, context.caller.get(), request.all_users)
        return auth_pb2.ListApiKeysResponse(keys=[key_message(key) for key in keys])

    async def RevokeApiKey(
        self, request: auth_pb2.RevokeApiKeyRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.RevokeApiKeyResponse:
        await _run(self._keys.revoke, context.caller.get(), request.key_id)
        return auth_pb2.RevokeApiKeyResponse()

    async def CreateUser(
        self, request: auth_pb2.CreateUserRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateUserResponse:
        view = await _run(
            self._accounts.create_user,
            request.email,
            request.username,
            request.password,
            request.display_name,
            list(request.level_names),
        )
        return auth_pb2.CreateUserResponse(user=user_message(view))

    async def ListUsers(
        self, request: auth_pb2.ListUsersRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ListUsersResponse:
        views = await _run(self._accounts.list_users, request.include_inactive)
        return auth_pb2.ListUsersResponse(users=[user_message(view) for view in views])

    async def GetUser(
        self, request: auth_pb2.GetUserRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.GetUserResponse:
        return auth_pb2.GetUserResponse(user=user_message(await _run(self._accounts.get_user, request.user_id)))

    async def UpdateUser(
        self, request: auth_pb2.UpdateUserRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.UpdateUserResponse:
        view = await _run(
            self._accounts.update_user,
            request.user_id,
            email=request.email if request.HasField("email") else None,
            display_name=request.display_name if request.HasField("display_name") else None,
            password=request.password if request.HasField("password") else None,
            is_active=request.is_active if request.HasField("is_active") else None,
            level_names=list(request.level_names) if request.replace_levels or request.level_names else None,
            add_levels=list(request.add_level_names),
            remove_levels=list(request.remove_level_names),
        )
        return auth_pb2.UpdateUserResponse(user=user_message(view))

    async def DeleteUser(
        self, request: auth_pb2.DeleteUserRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.DeleteUserResponse:
        await _run(self._accounts.delete_user, request.user_id)
        return auth_pb2.DeleteUserResponse()

    async def ListLevels(
        self, request: auth_pb2.ListLevelsRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ListLevelsResponse:
        levels, granted = await _run(self._accounts.list_levels)
        return auth_pb2.ListLevelsResponse(
            levels=[level_message(level, granted.get(level.id, set())) for level in levels],
            permissions=list(permissions.ALL),
        )

    async def RecordAuditEvent(
        self, request: auth_pb2.RecordAuditEventRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.RecordAuditEventResponse:
        event = request.event
        if not event.event_type:
            raise InvalidArgument("event_type is required", field="event_type")
        try:
            details = json.loads(event.details_json or "{}")
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"details_json is not JSON: {exc}", field="details_json") from None
        reporter = context.caller.get().username
        actor = Actor(event.actor_id, event.actor_username, event.actor_ip)
        entry = await _run(
            self._audit.record_alone,
            event.event_type,
            target_type=event.target_type,
            target_id=event.target_id,
            details={**details, "reported_by": reporter} if isinstance(details, dict) else {"value": details},
            actor=actor,
        )
        return auth_pb2.RecordAuditEventResponse(event=audit_message(entry))

    async def ListAuditEvents(
        self, request: auth_pb2.ListAuditEventsRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ListAuditEventsResponse:
        filters = Filters(
            event_type_prefix=request.event_type_prefix,
            actor_id=request.actor_id,
            target_type=request.target_type,
            target_id=request.target_id,
            start=request.start_time.ToDatetime(UTC) if request.HasField("start_time") else None,
            end=request.end_time.ToDatetime(UTC) if request.HasField("end_time") else None,
            limit=request.page_size or 100,
            offset=max(request.offset, 0),
        )
        entries, total = await _run(self._audit.entries, filters)
        return auth_pb2.ListAuditEventsResponse(events=[audit_message(e) for e in entries], total=total)

    async def VerifyAuditLog(
        self, request: auth_pb2.VerifyAuditLogRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.VerifyAuditLogResponse:
        result = await _run(self._audit.verify)
        return auth_pb2.VerifyAuditLogResponse(
            valid=result.valid, checked=result.checked, first_broken_id=result.first_broken_id, message=result.message
        )

    async def PruneAuditLog(
        self, request: auth_pb2.PruneAuditLogRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.PruneAuditLogResponse:
        if request.older_than_days < 1:
            raise InvalidArgument("older_than_days must be at least 1", field="older_than_days")
        deleted = await _run(self._audit.prune, timedelta(days=request.older_than_days))
        await _run(
            self._audit.record_alone,
            "audit.pruned",
            details={"older_than_days": request.older_than_days, "deleted": deleted},
        )
        return auth_pb2.PruneAuditLogResponse(deleted=deleted)

    async def CreateLevel(
        self, request: auth_pb2.CreateLevelRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateLevelResponse:
        level, granted = await _run(
            self._levels.create, request.name, request.description, request.priority, list(request.permissions)
        )
        return auth_pb2.CreateLevelResponse(level=level_message(level, granted))

    async def UpdateLevel(
        self, request: auth_pb2.UpdateLevelRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.UpdateLevelResponse:
        level, granted = await _run(
            self._levels.update,
            request.level_id,
            name=request.name if request.HasField("name") else None,
            description=request.description if request.HasField("description") else None,
            priority=request.priority if request.HasField("priority") else None,
            granted=list(request.permissions) if request.replace_permissions else None,
        )
        return auth_pb2.UpdateLevelResponse(level=level_message(level, granted))

    async def DeleteLevel(
        self, request: auth_pb2.DeleteLevelRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.DeleteLevelResponse:
        await _run(self._levels.delete, request.level_id)
        return auth_pb2.DeleteLevelResponse()

    async def SetUserPermission(
        self, request: auth_pb2.SetUserPermissionRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.SetUserPermissionResponse:
        granted = request.granted if request.HasField("granted") else None
        view = await _run(self._accounts.set_user_permission, request.user_id, request.permission, granted)
        return auth_pb2.SetUserPermissionResponse(user=user_message(view))

    async def ListResourceRules(
        self, request: auth_pb2.ListResourceRulesRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.ListResourceRulesResponse:
        rules = await _run(self._rules.rules, request.level_id)
        return auth_pb2.ListResourceRulesResponse(rules=[rule_message(rule, levels) for rule, levels in rules])

    async def CreateResourceRule(
        self, request: auth_pb2.CreateResourceRuleRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateResourceRuleResponse:
        rule, levels = await _run(self._rules.save, rule_spec(request.rule))
        return auth_pb2.CreateResourceRuleResponse(rule=rule_message(rule, levels))

    async def UpdateResourceRule(
        self, request: auth_pb2.UpdateResourceRuleRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.UpdateResourceRuleResponse:
        if not request.rule.id:
            raise InvalidArgument("rule.id is required", field="rule.id")
        rule, levels = await _run(self._rules.save, rule_spec(request.rule), request.rule.id)
        return auth_pb2.UpdateResourceRuleResponse(rule=rule_message(rule, levels))

    async def DeleteResourceRule(
        self, request: auth_pb2.DeleteResourceRuleRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.DeleteResourceRuleResponse:
        await _run(self._rules.delete, request.rule_id)
        return auth_pb2.DeleteResourceRuleResponse()

    async def CheckResourceAccess(
        self, request: auth_pb2.CheckResourceAccessRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.CheckResourceAccessResponse:
        who = context.caller.get()
        user_id = request.user_id or who.subject
        if user_id != who.subject and not (who.is_service or who.holds("admin.levels")):
            raise PermissionDenied("deciding for another user needs admin.levels", permission="admin.levels")
        view = await _run(self._accounts.get_user, user_id)
        decision = await _run(self._rules.check, view, _type_name(request.resource_type), request.resource)
        return auth_pb2.CheckResourceAccessResponse(
            allowed=decision.allowed, rule_id=decision.rule_id, reason=decision.reason
        )

    async def GetRegistrationSettings(
        self, request: auth_pb2.GetRegistrationSettingsRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.GetRegistrationSettingsResponse:
        enabled, level = await _run(self._accounts.registration)
        settings = auth_pb2.RegistrationSettings(enabled=enabled, default_level=level)
        return auth_pb2.GetRegistrationSettingsResponse(settings=settings)

    async def UpdateRegistrationSettings(
        self, request: auth_pb2.UpdateRegistrationSettingsRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.UpdateRegistrationSettingsResponse:
        wanted = request.settings
        enabled, level = await _run(
            self._accounts.set_registration, wanted.enabled, wanted.default_level or "researcher"
        )
        settings = auth_pb2.RegistrationSettings(enabled=enabled, default_level=level)
        return auth_pb2.UpdateRegistrationSettingsResponse(settings=settings)

    async def Register(
        self, request: auth_pb2.RegisterRequest, ctx: grpc.aio.ServicerContext
    ) -> auth_pb2.RegisterResponse:
        view, session = await _run(
            self._accounts.register,
            request.email,
            request.username,
            request.password,
            request.display_name,
            _client(request.client),
        )
        return auth_pb2.RegisterResponse(user=user_message(view), session=_session(session))

    # Hub logins

    async def GetHubLogin(
        self, request: auth_pb2.GetHubLoginRequest, context_: grpc.aio.ServicerContext
    ) -> auth_pb2.GetHubLoginResponse:
        view = await _run(self._hub_logins.get, context.caller.get())
        return auth_pb2.GetHubLoginResponse(login=hub_login_message(view))

    async def SaveHubLogin(
        self, request: auth_pb2.SaveHubLoginRequest, context_: grpc.aio.ServicerContext
    ) -> auth_pb2.SaveHubLoginResponse:
        view = await _run(
            self._hub_logins.save, context.caller.get(), request.token, request.hub_username, list(request.namespaces)
        )
        return auth_pb2.SaveHubLoginResponse(login=hub_login_message(view))

    async def DeleteHubLogin(
        self, request: auth_pb2.DeleteHubLoginRequest, context_: grpc.aio.ServicerContext
    ) -> auth_pb2.DeleteHubLoginResponse:
        await _run(self._hub_logins.delete, context.caller.get())
        return auth_pb2.DeleteHubLoginResponse()

    async def ResolveHubToken(
        self, request: auth_pb2.ResolveHubTokenRequest, context_: grpc.aio.ServicerContext
    ) -> auth_pb2.ResolveHubTokenResponse:
        if not request.user_id:
            raise InvalidArgument("ResolveHubToken needs the user_id of the run's owner", field="user_id")
        token, username = await _run(self._hub_logins.token_of, request.user_id)
        return auth_pb2.ResolveHubTokenResponse(token=token, hub_username=username)
