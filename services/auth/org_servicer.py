"""OrganizationService RPCs: proto messages in, domain calls (in worker threads), proto messages out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import grpc

from simpletuner.api.auth.v1 import orgs_pb2, orgs_pb2_grpc
from simpletuner.libs import context
from simpletuner.libs.protoenums import value_name
from simpletuner.libs.rpc.errors import InvalidArgument, PermissionDenied
from simpletuner.libs.timestamps import timestamp

from .models import Organization, Team
from .organizations import ORG, TEAM, USER, Ceiling, Organizations

T = TypeVar("T")
Ctx: TypeAlias = grpc.aio.ServicerContext
_SCOPES = {
    ORG: orgs_pb2.QUOTA_SCOPE_ORGANIZATION,
    TEAM: orgs_pb2.QUOTA_SCOPE_TEAM,
    USER: orgs_pb2.QUOTA_SCOPE_USER,
}


async def _run(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(function, *args)


def quota_name(value: int) -> str:
    """QUOTA_TYPE_COST_DAILY -> "cost_daily" (the proto enum is the list of quotas)."""
    if not value:
        raise InvalidArgument("quota_type is required", field="quota_type")
    return value_name(orgs_pb2.QuotaType, "QUOTA_TYPE_", value)


def action_name(value: int) -> str:
    """QUOTA_ACTION_REQUIRE_APPROVAL -> "require_approval"; unset is block."""
    return value_name(orgs_pb2.QuotaAction, "QUOTA_ACTION_", value) if value else "block"


def org_message(org: Organization) -> orgs_pb2.Organization:
    return orgs_pb2.Organization(
        id=org.id,
        name=org.name,
        slug=org.slug,
        description=org.description,
        is_active=org.is_active,
        create_time=timestamp(org.created_at),
    )


def team_message(team: Team) -> orgs_pb2.Team:
    return orgs_pb2.Team(
        id=team.id,
        org_id=team.org_id,
        name=team.name,
        slug=team.slug,
        description=team.description,
        create_time=timestamp(team.created_at),
    )


def member_message(member: tuple[str, str, str]) -> orgs_pb2.Member:
    user_id, username, role = member
    return orgs_pb2.Member(user_id=user_id, username=username, role=role)


def ceiling_messages(ceilings: list[Ceiling]) -> list[orgs_pb2.QuotaCeiling]:
    return [
        orgs_pb2.QuotaCeiling(
            scope=_SCOPES[c.scope],
            scope_id=c.scope_id,
            quota_type=f"QUOTA_TYPE_{c.quota_type.upper()}",
            limit=c.limit,
            action=f"QUOTA_ACTION_{c.action.upper()}",
        )
        for c in ceilings
    ]


def _optional(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


class OrganizationServicer(orgs_pb2_grpc.OrganizationServiceServicer):
    """Organisations, teams, members and quota ceilings."""

    def __init__(self, orgs: Organizations) -> None:
        self._orgs = orgs

    async def CreateOrganization(self, request: Any, ctx: Ctx) -> orgs_pb2.CreateOrganizationResponse:
        org = await _run(self._orgs.create_org, request.name, request.slug, request.description)
        return orgs_pb2.CreateOrganizationResponse(organization=org_message(org))

    async def ListOrganizations(self, request: Any, ctx: Ctx) -> orgs_pb2.ListOrganizationsResponse:
        orgs = await _run(self._orgs.orgs, request.include_inactive)
        return orgs_pb2.ListOrganizationsResponse(organizations=[org_message(org) for org in orgs])

    async def GetOrganization(self, request: Any, ctx: Ctx) -> orgs_pb2.GetOrganizationResponse:
        return orgs_pb2.GetOrganizationResponse(organization=org_message(await _run(self._orgs.org, request.org_id)))

    async def UpdateOrganization(self, request: Any, ctx: Ctx) -> orgs_pb2.UpdateOrganizationResponse:
        org = await _run(
            self._orgs.update_org,
            request.org_id,
            _optional(request, "name"),
            _optional(request, "description"),
            _optional(request, "is_active"),
        )
        return orgs_pb2.UpdateOrganizationResponse(organization=org_message(org))

    async def DeleteOrganization(self, request: Any, ctx: Ctx) -> orgs_pb2.DeleteOrganizationResponse:
        await _run(self._orgs.delete_org, request.org_id)
        return orgs_pb2.DeleteOrganizationResponse()

    async def ListOrganizationMembers(self, request: Any, ctx: Ctx) -> orgs_pb2.ListOrganizationMembersResponse:
        members = await _run(self._orgs.org_members, request.org_id)
        return orgs_pb2.ListOrganizationMembersResponse(members=[member_message(m) for m in members])

    async def AddOrganizationMember(self, request: Any, ctx: Ctx) -> orgs_pb2.AddOrganizationMemberResponse:
        member = await _run(self._orgs.add_org_member, request.org_id, request.user_id, request.role)
        return orgs_pb2.AddOrganizationMemberResponse(member=member_message(member))

    async def RemoveOrganizationMember(self, request: Any, ctx: Ctx) -> orgs_pb2.RemoveOrganizationMemberResponse:
        await _run(self._orgs.remove_org_member, request.org_id, request.user_id)
        return orgs_pb2.RemoveOrganizationMemberResponse()

    async def CreateTeam(self, request: Any, ctx: Ctx) -> orgs_pb2.CreateTeamResponse:
        team = await _run(self._orgs.create_team, request.org_id, request.name, request.slug, request.description)
        return orgs_pb2.CreateTeamResponse(team=team_message(team))

    async def ListTeams(self, request: Any, ctx: Ctx) -> orgs_pb2.ListTeamsResponse:
        teams = await _run(self._orgs.teams, request.org_id)
        return orgs_pb2.ListTeamsResponse(teams=[team_message(team) for team in teams])

    async def GetTeam(self, request: Any, ctx: Ctx) -> orgs_pb2.GetTeamResponse:
        return orgs_pb2.GetTeamResponse(team=team_message(await _run(self._orgs.team, request.org_id, request.team_id)))

    async def UpdateTeam(self, request: Any, ctx: Ctx) -> orgs_pb2.UpdateTeamResponse:
        team = await _run(
            self._orgs.update_team,
            request.org_id,
            request.team_id,
            _optional(request, "name"),
            _optional(request, "description"),
        )
        return orgs_pb2.UpdateTeamResponse(team=team_message(team))

    async def DeleteTeam(self, request: Any, ctx: Ctx) -> orgs_pb2.DeleteTeamResponse:
        await _run(self._orgs.delete_team, request.org_id, request.team_id)
        return orgs_pb2.DeleteTeamResponse()

    async def ListTeamMembers(self, request: Any, ctx: Ctx) -> orgs_pb2.ListTeamMembersResponse:
        members = await _run(self._orgs.team_members, request.org_id, request.team_id)
        return orgs_pb2.ListTeamMembersResponse(members=[member_message(m) for m in members])

    async def AddTeamMember(self, request: Any, ctx: Ctx) -> orgs_pb2.AddTeamMemberResponse:
        member = await _run(self._orgs.add_team_member, request.org_id, request.team_id, request.user_id, request.role)
        return orgs_pb2.AddTeamMemberResponse(member=member_message(member))

    async def RemoveTeamMember(self, request: Any, ctx: Ctx) -> orgs_pb2.RemoveTeamMemberResponse:
        await _run(self._orgs.remove_team_member, request.org_id, request.team_id, request.user_id)
        return orgs_pb2.RemoveTeamMemberResponse()

    async def SetOrganizationQuota(self, request: Any, ctx: Ctx) -> orgs_pb2.SetOrganizationQuotaResponse:
        ceilings = await _run(
            self._orgs.set_org_ceiling,
            request.org_id,
            quota_name(request.quota_type),
            _optional(request, "limit"),
            action_name(request.action),
        )
        return orgs_pb2.SetOrganizationQuotaResponse(ceilings=ceiling_messages(ceilings))

    async def SetTeamQuota(self, request: Any, ctx: Ctx) -> orgs_pb2.SetTeamQuotaResponse:
        ceilings = await _run(
            self._orgs.set_team_ceiling,
            request.org_id,
            request.team_id,
            quota_name(request.quota_type),
            _optional(request, "limit"),
            action_name(request.action),
        )
        return orgs_pb2.SetTeamQuotaResponse(ceilings=ceiling_messages(ceilings))

    async def SetUserQuota(self, request: Any, ctx: Ctx) -> orgs_pb2.SetUserQuotaResponse:
        ceilings = await _run(
            self._orgs.set_user_ceiling,
            request.user_id,
            quota_name(request.quota_type),
            _optional(request, "limit"),
            action_name(request.action),
        )
        return orgs_pb2.SetUserQuotaResponse(ceilings=ceiling_messages(ceilings))

    async def ListQuotaCeilings(self, request: Any, ctx: Ctx) -> orgs_pb2.ListQuotaCeilingsResponse:
        scope = {value: name for name, value in _SCOPES.items()}.get(request.scope)
        if scope is None:
            raise InvalidArgument("scope is required", field="scope")
        ceilings = await _run(self._orgs.ceilings, scope, request.scope_id)
        return orgs_pb2.ListQuotaCeilingsResponse(ceilings=ceiling_messages(ceilings))

    async def GetMembership(self, request: Any, ctx: Ctx) -> orgs_pb2.GetMembershipResponse:
        found = await _run(self._orgs.membership, request.user_id)
        return orgs_pb2.GetMembershipResponse(
            level_priority=found.level_priority,
            level_names=found.level_names,
            team_ids=found.team_ids,
            org_ids=found.org_ids,
        )

    async def GetEffectiveCeilings(self, request: Any, ctx: Ctx) -> orgs_pb2.GetEffectiveCeilingsResponse:
        who = context.caller.get()
        user_id = request.user_id or who.subject
        if user_id != who.subject and not (who.is_service or who.holds("admin.quotas")):
            raise PermissionDenied("another user's ceilings need admin.quotas", permission="admin.quotas")
        ceilings = await _run(self._orgs.effective_ceilings, user_id)
        return orgs_pb2.GetEffectiveCeilingsResponse(ceilings=ceiling_messages(ceilings))
