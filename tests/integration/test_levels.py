"""Custom levels, per-user overrides, resource rules and public registration, through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from simpletuner.libs.testing.stack import Account, RunningStack, create_account


@pytest.fixture(scope="module")
def trainee(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "tina", ["researcher"])


def _me(stack: RunningStack, account: Account) -> dict[str, Any]:
    with stack.http(headers=account.headers) as http:
        return dict(http.get("/api/auth/me").json())


def test_a_custom_level_grants_its_permissions_and_can_be_changed_and_deleted(
    stack: RunningStack, admin: Account, trainee: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        made = http.post(
            "/api/users/levels",
            json={"name": "auditor", "description": "reads the log", "priority": 20, "permissions": ["admin.audit"]},
        )
        assert made.status_code == 201 and made.json()["is_system"] is False
        level_id = made.json()["id"]
        assert http.post("/api/users/levels", json={"name": "auditor"}).status_code == 409
        bad = http.post("/api/users/levels", json={"name": "odd", "permissions": ["no.such"]})
        assert bad.status_code == 400 and "no.such" in bad.json()["detail"]
        http.post(f"/api/users/{trainee.user_id}/levels", json={"level_name": "auditor"}).raise_for_status()
    assert "admin.audit" in _me(stack, trainee)["permissions"]
    with stack.http(headers=trainee.headers) as http:
        assert http.get("/api/audit").status_code == 200
    with stack.http(headers=admin.headers) as http:
        http.put(f"/api/users/levels/{level_id}/permissions", json={"permissions": ["quota.view"]}).raise_for_status()
        assert "admin.audit" not in _me(stack, trainee)["permissions"]
        assert "quota.view" in _me(stack, trainee)["permissions"]
        assert http.delete(f"/api/users/levels/{level_id}").status_code == 200
    assert [level["name"] for level in _me(stack, trainee)["levels"]] == ["researcher"]


def test_system_levels_cannot_be_deleted_or_have_their_permissions_changed(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        levels = {level["name"]: level["id"] for level in http.get("/api/users/meta/levels").json()}
        deleted = http.delete(f"/api/users/levels/{levels['viewer']}")
        changed = http.put(f"/api/users/levels/{levels['viewer']}/permissions", json={"permissions": ["job.submit"]})
        described = http.put(f"/api/users/levels/{levels['viewer']}", json={"description": "read-only people"})
    assert deleted.status_code == changed.status_code == 400
    assert described.status_code == 200 and described.json()["description"] == "read-only people"


def test_per_user_overrides_grant_and_revoke_whatever_the_levels_say(
    stack: RunningStack, admin: Account, trainee: Account
) -> None:
    with stack.http(headers=admin.headers) as http:
        revoked = http.post(
            f"/api/users/{trainee.user_id}/permissions", json={"permission_name": "job.submit", "granted": False}
        ).json()
        granted = http.post(
            f"/api/users/{trainee.user_id}/permissions", json={"permission_name": "queue.approve", "granted": True}
        ).json()
    assert "job.submit" not in revoked["permissions"] and revoked["permission_overrides"] == {"job.submit": False}
    assert "queue.approve" in granted["permissions"]
    assert "queue.approve" in _me(stack, trainee)["permissions"]
    with stack.http(headers=admin.headers) as http:
        http.delete(f"/api/users/{trainee.user_id}/permissions/job.submit").raise_for_status()
        http.delete(f"/api/users/{trainee.user_id}/permissions/queue.approve").raise_for_status()
    after = _me(stack, trainee)
    assert "job.submit" in after["permissions"] and "queue.approve" not in after["permissions"]


def test_resource_rules_allow_wins_and_unmatched_resources_are_denied(stack: RunningStack, admin: Account) -> None:
    team = create_account(stack, admin, "tom", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        levels = {level["name"]: level["id"] for level in http.get("/api/users/meta/levels").json()}
        level = http.post("/api/users/levels", json={"name": "team-a", "permissions": ["config.view"]}).json()
        http.post(f"/api/users/{team.user_id}/levels", json={"level_name": "team-a"}).raise_for_status()
        rules = [
            {"name": "team-a configs", "resource_type": "config", "pattern": "team-a-*", "level_ids": [level["id"]]},
            {
                "name": "no secret configs",
                "resource_type": "config",
                "pattern": "team-a-secret*",
                "action": "deny",
                "level_ids": [level["id"]],
            },
        ]
        for rule in rules:
            assert http.post("/api/users/resource-rules", json=rule).status_code == 201
        listed = http.get(f"/api/users/levels/{level['id']}/rules").json()
        assert {rule["name"] for rule in listed} == {"team-a configs", "no secret configs"}

    def may(account: Account, resource_type: str, resource: str) -> bool:
        with stack.http(headers=account.headers) as http:
            reply = http.post(
                "/api/users/resource-rules/check", json={"resource_type": resource_type, "resource": resource}
            )
        return bool(reply.json()["allowed"])

    assert may(team, "config", "team-a-sdxl")
    assert may(team, "config", "team-a-secret-flux")  # allow wins over a matching deny
    assert not may(team, "config", "team-b-sdxl")  # rules exist for configs, none match: deny
    assert may(team, "hardware", "gpu-0")  # no rules for hardware: allowed
    assert may(admin, "config", "team-b-sdxl")  # administrators bypass rules
    outsider = create_account(stack, admin, "otto", ["researcher"])
    assert may(outsider, "config", "team-b-sdxl")  # rules of other levels do not apply
    assert levels["researcher"] not in listed[0]["level_ids"]
    with stack.http(headers=outsider.headers) as http:
        prying = http.post(
            "/api/users/resource-rules/check",
            json={"resource_type": "config", "resource": "x", "user_id": team.user_id},
        )
    assert prying.status_code == 403


def test_registration_is_off_by_default_and_an_admin_can_switch_it_on(stack: RunningStack, admin: Account) -> None:
    body = {"email": "newbie@example.com", "username": "newbie", "password": "newbie-password"}
    with stack.http() as http:
        assert http.get("/api/cloud/auth/setup/status").json()["registration_enabled"] is False
        assert http.post("/api/cloud/auth/register", json=body).status_code == 403
    with stack.http(headers=admin.headers) as http:
        assert http.get("/api/users/registration").json() == {"enabled": False, "default_level": "researcher"}
        switched = http.put("/api/users/registration", json={"enabled": True, "default_level": "viewer"})
        assert switched.json() == {"enabled": True, "default_level": "viewer"}
    with stack.http() as http:
        registered = http.post("/api/auth/register", json=body)
        assert registered.status_code == 200
        assert [level["name"] for level in registered.json()["user"]["levels"]] == ["viewer"]
        assert http.get("/api/auth/me").json()["username"] == "newbie"  # signed in by the cookie
        assert http.get("/api/cloud/auth/setup/status").json()["registration_enabled"] is True
    with stack.http(headers=admin.headers) as http:
        http.put("/api/users/registration", json={"enabled": False}).raise_for_status()
