"""What the Manage Users page relies on: everyone's keys for admins, no locking yourself out, the rule kinds."""

from __future__ import annotations

from simpletuner.libs.testing.stack import Account, RunningStack, create_account


def test_admins_list_everyones_api_keys_with_their_owners_and_others_only_their_own(
    stack: RunningStack, admin: Account
) -> None:
    researcher = create_account(stack, admin, "kai", ["researcher"])
    with stack.http(headers=admin.headers) as http:
        everyone = http.get("/api/auth/api-keys", params={"all_users": "true"})
        own = http.get("/api/auth/api-keys")
    assert everyone.status_code == own.status_code == 200
    assert {key["user_id"] for key in everyone.json()} >= {admin.user_id, researcher.user_id}
    assert {key["user_id"] for key in own.json()} == {admin.user_id}
    with stack.http(headers=researcher.headers) as http:
        refused = http.get("/api/auth/api-keys", params={"all_users": "true"})
        mine = http.get("/api/auth/api-keys")
    assert refused.status_code == 403 and "api.keys.all" in refused.json()["detail"]
    assert {key["user_id"] for key in mine.json()} == {researcher.user_id}


def test_an_admin_cannot_delete_or_deactivate_their_own_account_but_can_others(
    stack: RunningStack, admin: Account
) -> None:
    second_admin = create_account(stack, admin, "ada", ["admin"])
    with stack.http(headers=admin.headers) as http:
        deleted = http.delete(f"/api/users/{admin.user_id}")
        deactivated = http.post(f"/api/users/{admin.user_id}/deactivate")
        assert http.get("/api/auth/me").json()["is_active"] is True
        assert http.post(f"/api/users/{second_admin.user_id}/deactivate").json()["is_active"] is False
        assert http.delete(f"/api/users/{second_admin.user_id}").status_code == 200
    assert deleted.status_code == deactivated.status_code == 400
    assert "your own account" in deleted.json()["detail"] and "another administrator" in deactivated.json()["detail"]


def test_the_kinds_of_resource_a_rule_can_govern_are_listed(stack: RunningStack, admin: Account) -> None:
    viewer = create_account(stack, admin, "val", ["viewer"])
    with stack.http(headers=admin.headers) as http:
        kinds = http.get("/api/users/meta/resource-types").json()
        made = http.post(
            "/api/users/resource-rules",
            json={"name": "every-kind-works", "resource_type": kinds[-1]["name"], "pattern": "*"},
        )
        assert made.status_code == 201
        http.delete(f"/api/users/resource-rules/{made.json()['id']}").raise_for_status()
    assert [kind["name"] for kind in kinds] == ["config", "hardware", "provider", "output_path"]
    with stack.http() as http:
        http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password})
        assert http.get("/api/users/meta/resource-types").status_code == 200
        assert http.get("/api/users/resource-rules").status_code == 403
