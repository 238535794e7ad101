"""Organisations, teams, members and quota ceilings (/api/orgs, and /api/users/{id}/quotas)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from simpletuner.api.auth.v1 import orgs_pb2
from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.libs.protoenums import names_enum, value_name

from ..deps import ClientsDep
from ..security import requires
from .presenters import iso

router = APIRouter(prefix="/api/orgs", tags=["organisations"])
user_quotas = APIRouter(prefix="/api/users", tags=["organisations"])

QuotaName = names_enum("QuotaName", orgs_pb2.QuotaType, "QUOTA_TYPE_")


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


class NewOrg(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    slug: str = Field(min_length=1, max_length=50, description="lower-case letters, digits, '-'")
    description: str = ""


class OrgChanges(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    is_active: bool | None = None


class NewTeam(NewOrg):
    pass


class TeamChanges(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None


class NewMember(BaseModel):
    user_id: str
    role: str = "member"


class RoleChange(BaseModel):
    role: str


class Quota(BaseModel):
    quota_type: QuotaName  # type: ignore[valid-type]
    limit: float | None = Field(None, ge=0, description="the ceiling; null clears it")
    action: Literal["block", "warn", "require_approval"] = Field(
        "block", description="what happens to a submission that would pass it"
    )


def org_json(org: orgs_pb2.Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "description": org.description,
        "is_active": org.is_active,
        "created_at": iso(org.create_time),
    }


def team_json(team: orgs_pb2.Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "org_id": team.org_id,
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "created_at": iso(team.create_time),
    }


def member_json(member: orgs_pb2.Member) -> dict[str, Any]:
    return {"user_id": member.user_id, "username": member.username, "role": member.role}


def ceilings_json(ceilings: Any) -> list[dict[str, Any]]:
    return [
        {
            "scope": value_name(orgs_pb2.QuotaScope, "QUOTA_SCOPE_", c.scope),
            "scope_id": c.scope_id,
            "quota_type": value_name(orgs_pb2.QuotaType, "QUOTA_TYPE_", c.quota_type),
            "limit": c.limit,
            "action": value_name(orgs_pb2.QuotaAction, "QUOTA_ACTION_", c.action) if c.action else "block",
        }
        for c in ceilings
    ]


def _quota(body: Quota) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "quota_type": f"QUOTA_TYPE_{str(body.quota_type).upper()}",
        "action": f"QUOTA_ACTION_{body.action.upper()}",
    }
    if body.limit is not None:
        fields["limit"] = body.limit
    return fields


@router.get("", dependencies=needs(p.PERMISSION_ORG_VIEW))
async def list_orgs(clients: ClientsDep, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Every organisation."""
    reply = await clients.orgs.ListOrganizations(orgs_pb2.ListOrganizationsRequest(include_inactive=include_inactive))
    return [org_json(org) for org in reply.organizations]


@router.post("", status_code=201, dependencies=needs(p.PERMISSION_ORG_CREATE))
async def create_org(body: NewOrg, clients: ClientsDep) -> dict[str, Any]:
    """Create an organisation."""
    reply = await clients.orgs.CreateOrganization(orgs_pb2.CreateOrganizationRequest(**body.model_dump()))
    return org_json(reply.organization)


@router.get("/{org_id}", dependencies=needs(p.PERMISSION_ORG_VIEW))
async def get_org(org_id: str, clients: ClientsDep) -> dict[str, Any]:
    """One organisation."""
    reply = await clients.orgs.GetOrganization(orgs_pb2.GetOrganizationRequest(org_id=org_id))
    return org_json(reply.organization)


@router.patch("/{org_id}", dependencies=needs(p.PERMISSION_ORG_EDIT))
async def update_org(org_id: str, body: OrgChanges, clients: ClientsDep) -> dict[str, Any]:
    """Rename, describe, activate or deactivate an organisation."""
    request = orgs_pb2.UpdateOrganizationRequest(org_id=org_id, **body.model_dump(exclude_none=True))
    return org_json((await clients.orgs.UpdateOrganization(request)).organization)


@router.delete("/{org_id}", dependencies=needs(p.PERMISSION_ORG_DELETE))
async def delete_org(org_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Delete an organisation with its teams and ceilings."""
    await clients.orgs.DeleteOrganization(orgs_pb2.DeleteOrganizationRequest(org_id=org_id))
    return {"success": True}


@router.get("/{org_id}/members", dependencies=needs(p.PERMISSION_ORG_VIEW))
async def org_members(org_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """An organisation's members."""
    reply = await clients.orgs.ListOrganizationMembers(orgs_pb2.ListOrganizationMembersRequest(org_id=org_id))
    return [member_json(member) for member in reply.members]


@router.post("/{org_id}/members", dependencies=needs(p.PERMISSION_ORG_MANAGE_MEMBERS))
async def add_org_member(org_id: str, body: NewMember, clients: ClientsDep) -> dict[str, Any]:
    """Add a user (role member or admin)."""
    request = orgs_pb2.AddOrganizationMemberRequest(org_id=org_id, **body.model_dump())
    return member_json((await clients.orgs.AddOrganizationMember(request)).member)


@router.delete("/{org_id}/members/{user_id}", dependencies=needs(p.PERMISSION_ORG_MANAGE_MEMBERS))
async def remove_org_member(org_id: str, user_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Remove a user from the organisation and its teams."""
    request = orgs_pb2.RemoveOrganizationMemberRequest(org_id=org_id, user_id=user_id)
    await clients.orgs.RemoveOrganizationMember(request)
    return {"success": True}


@router.get("/{org_id}/quotas", dependencies=needs(p.PERMISSION_QUOTA_VIEW))
async def org_quotas(org_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """The organisation's ceilings."""
    request = orgs_pb2.ListQuotaCeilingsRequest(scope=orgs_pb2.QUOTA_SCOPE_ORGANIZATION, scope_id=org_id)
    return ceilings_json((await clients.orgs.ListQuotaCeilings(request)).ceilings)


@router.post("/{org_id}/quotas", dependencies=needs(p.PERMISSION_ORG_MANAGE_QUOTAS))
async def set_org_quota(org_id: str, body: Quota, clients: ClientsDep) -> list[dict[str, Any]]:
    """Set (or clear with limit null) a ceiling; it may not go below any team's."""
    request = orgs_pb2.SetOrganizationQuotaRequest(org_id=org_id, **_quota(body))
    return ceilings_json((await clients.orgs.SetOrganizationQuota(request)).ceilings)


@router.get("/{org_id}/teams", dependencies=needs(p.PERMISSION_TEAM_VIEW))
async def list_teams(org_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """The organisation's teams."""
    reply = await clients.orgs.ListTeams(orgs_pb2.ListTeamsRequest(org_id=org_id))
    return [team_json(team) for team in reply.teams]


@router.post("/{org_id}/teams", status_code=201, dependencies=needs(p.PERMISSION_TEAM_CREATE))
async def create_team(org_id: str, body: NewTeam, clients: ClientsDep) -> dict[str, Any]:
    """Create a team in the organisation."""
    reply = await clients.orgs.CreateTeam(orgs_pb2.CreateTeamRequest(org_id=org_id, **body.model_dump()))
    return team_json(reply.team)


@router.get("/{org_id}/teams/{team_id}", dependencies=needs(p.PERMISSION_TEAM_VIEW))
async def get_team(org_id: str, team_id: str, clients: ClientsDep) -> dict[str, Any]:
    """One team."""
    reply = await clients.orgs.GetTeam(orgs_pb2.GetTeamRequest(org_id=org_id, team_id=team_id))
    return team_json(reply.team)


@router.patch("/{org_id}/teams/{team_id}", dependencies=needs(p.PERMISSION_TEAM_EDIT))
async def update_team(org_id: str, team_id: str, body: TeamChanges, clients: ClientsDep) -> dict[str, Any]:
    """Rename or describe a team."""
    request = orgs_pb2.UpdateTeamRequest(org_id=org_id, team_id=team_id, **body.model_dump(exclude_none=True))
    return team_json((await clients.orgs.UpdateTeam(request)).team)


@router.delete("/{org_id}/teams/{team_id}", dependencies=needs(p.PERMISSION_TEAM_DELETE))
async def delete_team(org_id: str, team_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Delete a team and its ceilings."""
    await clients.orgs.DeleteTeam(orgs_pb2.DeleteTeamRequest(org_id=org_id, team_id=team_id))
    return {"success": True}


@router.get("/{org_id}/teams/{team_id}/members", dependencies=needs(p.PERMISSION_TEAM_VIEW))
async def team_members(org_id: str, team_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """A team's members."""
    reply = await clients.orgs.ListTeamMembers(orgs_pb2.ListTeamMembersRequest(org_id=org_id, team_id=team_id))
    return [member_json(member) for member in reply.members]


@router.post("/{org_id}/teams/{team_id}/members", dependencies=needs(p.PERMISSION_TEAM_MANAGE_MEMBERS))
async def add_team_member(org_id: str, team_id: str, body: NewMember, clients: ClientsDep) -> dict[str, Any]:
    """Add a user to the team (role member or lead); they join the organisation too."""
    request = orgs_pb2.AddTeamMemberRequest(org_id=org_id, team_id=team_id, **body.model_dump())
    return member_json((await clients.orgs.AddTeamMember(request)).member)


@router.patch("/{org_id}/teams/{team_id}/members/{user_id}", dependencies=needs(p.PERMISSION_TEAM_MANAGE_MEMBERS))
async def change_team_role(
    org_id: str, team_id: str, user_id: str, body: RoleChange, clients: ClientsDep
) -> dict[str, Any]:
    """Change a member's role in the team."""
    request = orgs_pb2.AddTeamMemberRequest(org_id=org_id, team_id=team_id, user_id=user_id, role=body.role)
    return member_json((await clients.orgs.AddTeamMember(request)).member)


@router.delete("/{org_id}/teams/{team_id}/members/{user_id}", dependencies=needs(p.PERMISSION_TEAM_MANAGE_MEMBERS))
async def remove_team_member(org_id: str, team_id: str, user_id: str, clients: ClientsDep) -> dict[str, Any]:
    """Remove a user from the team."""
    request = orgs_pb2.RemoveTeamMemberRequest(org_id=org_id, team_id=team_id, user_id=user_id)
    await clients.orgs.RemoveTeamMember(request)
    return {"success": True}


@router.get("/{org_id}/teams/{team_id}/quotas", dependencies=needs(p.PERMISSION_QUOTA_VIEW))
async def team_quotas(org_id: str, team_id: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """The team's ceilings."""
    await clients.orgs.GetTeam(orgs_pb2.GetTeamRequest(org_id=org_id, team_id=team_id))  # 404 outside the org
    request = orgs_pb2.ListQuotaCeilingsRequest(scope=orgs_pb2.QUOTA_SCOPE_TEAM, scope_id=team_id)
    return ceilings_json((await clients.orgs.ListQuotaCeilings(request)).ceilings)


@router.post("/{org_id}/teams/{team_id}/quotas", dependencies=needs(p.PERMISSION_TEAM_MANAGE_QUOTAS))
async def set_team_quota(org_id: str, team_id: str, body: Quota, clients: ClientsDep) -> list[dict[str, Any]]:
    """Set (or clear) a ceiling: at most the organisation's, at least each member's."""
    request = orgs_pb2.SetTeamQuotaRequest(org_id=org_id, team_id=team_id, **_quota(body))
    return ceilings_json((await clients.orgs.SetTeamQuota(request)).ceilings)


@user_quotas.get("/{user_id}/quotas", dependencies=needs(p.PERMISSION_QUOTA_VIEW))
async def user_ceilings(user_id: str, clients: ClientsDep, effective: bool = False) -> list[dict[str, Any]]:
    """A user's own ceilings, or with effective=true the binding ones from the whole hierarchy."""
    if effective:
        reply = await clients.orgs.GetEffectiveCeilings(orgs_pb2.GetEffectiveCeilingsRequest(user_id=user_id))
        return ceilings_json(reply.ceilings)
    request = orgs_pb2.ListQuotaCeilingsRequest(scope=orgs_pb2.QUOTA_SCOPE_USER, scope_id=user_id)
    return ceilings_json((await clients.orgs.ListQuotaCeilings(request)).ceilings)


@user_quotas.post("/{user_id}/quotas", dependencies=needs(p.PERMISSION_ADMIN_QUOTAS))
async def set_user_quota(user_id: str, body: Quota, clients: ClientsDep) -> list[dict[str, Any]]:
    """Set (or clear) a user's ceiling: at most those of their teams and organisations."""
    request = orgs_pb2.SetUserQuotaRequest(user_id=user_id, **_quota(body))
    return ceilings_json((await clients.orgs.SetUserQuota(request)).ceilings)
