"""Organisations and teams: CRUD, members, and quota ceilings that nest (org >= team >= user)."""

from __future__ import annotations

from typing import Any

from simpletuner.libs.testing.stack import Account, RunningStack, create_account


def _ok(reply: Any) -> Any:
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def test_organisations_and_teams_are_managed_with_their_members(stack: RunningStack, admin: Account) -> None:
    member = create_account(stack, admin, "mia", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        org = _ok(http.post("/api/orgs", json={"name": "Acme Labs", "slug": "acme", "description": "research"}))
        assert http.post("/api/orgs", json={"name": "Other", "slug": "acme"}).status_code == 409
        assert http.post("/api/orgs", json={"name": "Bad", "slug": "Not A Slug"}).status_code == 400
        team = _ok(http.post(f"/api/orgs/{org['id']}/teams", json={"name": "Vision", "slug": "vision"}))
        assert [t["slug"] for t in _ok(http.get(f"/api/orgs/{org['id']}/teams"))] == ["vision"]
        added = _ok(
            http.post(
                f"/api/orgs/{org['id']}/teams/{team['id']}/members", json={"user_id": member.user_id, "role": "lead"}
            )
        )
        assert added == {"user_id": member.user_id, "username": "mia", "role": "lead"}
        assert [m["username"] for m in _ok(http.get(f"/api/orgs/{org['id']}/members"))] == ["mia"]  # joined the org
        renamed = _ok(http.patch(f"/api/orgs/{org['id']}/teams/{team['id']}", json={"name": "Vision Team"}))
        assert renamed["name"] == "Vision Team"
        assert _ok(http.patch(f"/api/orgs/{org['id']}", json={"is_active": False}))["is_active"] is False
        assert org["id"] not in [o["id"] for o in _ok(http.get("/api/orgs"))]
        assert org["id"] in [o["id"] for o in _ok(http.get("/api/orgs", params={"include_inactive": True}))]
        other = _ok(http.post("/api/orgs", json={"name": "Else", "slug": "else"}))
        assert http.get(f"/api/orgs/{other['id']}/teams/{team['id']}").status_code == 404  # not its team
        http.delete(f"/api/orgs/{org['id']}/members/{member.user_id}").raise_for_status()
        assert _ok(http.get(f"/api/orgs/{org['id']}/teams/{team['id']}/members")) == []  # left its teams too
        assert _ok(http.delete(f"/api/orgs/{org['id']}")) == {"success": True}
        assert http.get(f"/api/orgs/{org['id']}").status_code == 404


def test_ceilings_nest_from_organisation_to_team_to_user(stack: RunningStack, admin: Account) -> None:
    user = create_account(stack, admin, "quinn", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        org = _ok(http.post("/api/orgs", json={"name": "Quota Org", "slug": "quota-org"}))
        team = _ok(http.post(f"/api/orgs/{org['id']}/teams", json={"name": "Q Team", "slug": "q-team"}))
        http.post(
            f"/api/orgs/{org['id']}/teams/{team['id']}/members", json={"user_id": user.user_id}
        ).raise_for_status()
        base = f"/api/orgs/{org['id']}"

        def quota(path: str, limit: float | None) -> Any:
            return http.post(path, json={"quota_type": "concurrent_jobs", "limit": limit})

        assert _ok(quota(f"{base}/quotas", 10))[0] == {
            "scope": "organization", "scope_id": org["id"], "quota_type": "concurrent_jobs", "limit": 10.0,
            "action": "block",
        }  # fmt: skip
        above_org = quota(f"{base}/teams/{team['id']}/quotas", 12)
        assert above_org.status_code == 400 and "organisation" in above_org.json()["detail"]
        _ok(quota(f"{base}/teams/{team['id']}/quotas", 6))
        assert quota(f"/api/users/{user.user_id}/quotas", 8).status_code == 400  # above the team's 6
        _ok(quota(f"/api/users/{user.user_id}/quotas", 4))
        lowering_team = quota(f"{base}/teams/{team['id']}/quotas", 3)
        assert lowering_team.status_code == 400 and "member" in lowering_team.json()["detail"]
        assert quota(f"{base}/quotas", 5).status_code == 400  # below the team's 6
        http.post(f"{base}/quotas", json={"quota_type": "gpus", "limit": 2}).raise_for_status()
        effective = _ok(http.get(f"/api/users/{user.user_id}/quotas", params={"effective": True}))
        assert {(c["quota_type"], c["scope"], c["limit"]) for c in effective} == {
            ("concurrent_jobs", "user", 4.0),
            ("gpus", "organization", 2.0),
        }
        _ok(quota(f"/api/users/{user.user_id}/quotas", None))  # cleared
        effective = _ok(http.get(f"/api/users/{user.user_id}/quotas", params={"effective": True}))
        assert ("concurrent_jobs", "team", 6.0) in {(c["quota_type"], c["scope"], c["limit"]) for c in effective}
    with stack.http(headers=user.headers) as http:
        assert http.post(f"/api/orgs/{org['id']}/quotas", json={"quota_type": "gpus", "limit": 9}).status_code == 403
        assert http.post("/api/orgs", json={"name": "Mine", "slug": "mine"}).status_code == 403
