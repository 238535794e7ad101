"""Accounts through the HTTP API: first run, sessions, API keys, users, rate limits and CSRF, as users meet them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from simpletuner.libs.testing.stack import (
    Account,
    RunningStack,
    create_account,
    create_first_admin,
    database_env,
    running_stack,
)

SEED_ADMIN = {"email": "admin@example.com", "username": "admin", "password": "your-secure-password"}


def test_first_run_makes_exactly_one_admin_under_ten_concurrent_requests_then_the_seed_flow_works(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    with running_stack(tmp_path / "ws", env=database_env(new_database())) as fresh, fresh.http() as http:
        status = http.get("/api/cloud/auth/setup/status").json()
        assert status == {"needs_setup": True, "has_admin": False, "user_count": 0, "registration_enabled": False}

        def attempt(_: int) -> int:
            with fresh.http() as client:
                return client.post("/api/cloud/auth/setup/first-admin", json=SEED_ADMIN).status_code

        with ThreadPoolExecutor(10) as pool:
            codes = sorted(pool.map(attempt, range(10)))
        assert codes == [200] + [409] * 9
        assert http.post("/api/cloud/auth/setup/first-admin", json=SEED_ADMIN).status_code == 409
        status = http.get("/api/cloud/auth/setup/status").json()
        assert status == {"needs_setup": False, "has_admin": True, "user_count": 1, "registration_enabled": False}

        # the seeds' API tutorial, request for request
        login = http.post("/api/cloud/auth/login", json={"username": "admin", "password": "your-secure-password"})
        assert login.status_code == 200 and login.json()["user"]["is_admin"] is True
        created_key = http.post("/api/cloud/auth/api-keys", json={"name": "automation-key"})
        key = created_key.json()["key"]
        assert created_key.status_code == 200 and key.startswith("st_") and len(key) == 35
        researcher = http.post(
            "/api/users",
            json={
                "email": "researcher@example.com",
                "username": "researcher",
                "password": "their-password",
                "level_names": ["researcher"],
            },
        )
        assert researcher.status_code == 201
        assert [level["name"] for level in researcher.json()["levels"]] == ["researcher"]


@pytest.fixture(scope="module")
def researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "rita", ["researcher"])


@pytest.fixture(scope="module")
def other_researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "rob", ["researcher"])


def _login(http: httpx.Client, username: str, password: str, **extra: object) -> httpx.Response:
    return http.post("/api/auth/login", json={"username": username, "password": password, **extra})


def test_the_session_cookie_is_httponly_lax_and_lasts_a_day_or_thirty_days(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        short = _login(http, admin.username, admin.password).headers["set-cookie"].lower()
        long = _login(http, admin.username, admin.password, remember_me=True).headers["set-cookie"].lower()
    for cookie in (short, long):
        assert cookie.startswith("simpletuner_session=") and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain HTTP here; see the TLS test
    assert "max-age=86399" in short or "max-age=86400" in short
    assert "max-age=2591999" in long or "max-age=2592000" in long


def test_a_wrong_username_and_a_wrong_password_look_the_same(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        wrong_password = _login(http, admin.username, "not-the-password")
        wrong_user = _login(http, "nobody-at-all", "not-the-password")
    assert wrong_password.status_code == wrong_user.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731 - ids differ per request
    assert strip(wrong_password.json()) == strip(wrong_user.json())


def test_repeated_failures_for_one_account_are_rate_limited_with_retry_after(
    stack: RunningStack, admin: Account
) -> None:
    victim = create_account(stack, admin, "vic", ["viewer"])
    with stack.http() as http:
        failures = [_login(http, "vic", "wrong-password").status_code for _ in range(5)]
        limited = _login(http, "vic", victim.password)
    assert failures == [401] * 5
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 15 * 60 + 1


def test_logging_out_ends_the_session(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        _login(http, admin.username, admin.password)
        assert http.get("/api/auth/me").status_code == 200
        cookie = http.cookies.get("simpletuner_session")
        assert http.post("/api/auth/logout").json() == {"success": True}
        http.cookies.set("simpletuner_session", cookie or "")
        assert http.get("/api/auth/me").status_code == 401
        assert http.get("/api/auth/check").json()["authenticated"] is False


def test_changing_a_password_needs_the_current_one_and_ends_other_sessions(stack: RunningStack, admin: Account) -> None:
    user = create_account(stack, admin, "cora", ["researcher"])
    with stack.http() as first, stack.http() as second:
        _login(first, "cora", user.password)
        _login(second, "cora", user.password)
        wrong = first.post("/api/auth/change-password", json={"current_password": "nope", "new_password": "new-pass-1"})
        assert wrong.status_code == 400
        ok = first.post(
            "/api/auth/change-password", json={"current_password": user.password, "new_password": "new-pass-1"}
        )
        assert ok.status_code == 200
        assert second.get("/api/auth/me").status_code == 401
        assert _login(second, "cora", user.password).status_code == 401
        assert _login(second, "cora", "new-pass-1").status_code == 200


def test_an_api_key_works_until_it_is_revoked(stack: RunningStack, researcher: Account) -> None:
    with stack.http() as http:
        listed = http.get("/api/auth/api-keys", headers=researcher.headers).json()
        assert [key["key_prefix"] for key in listed] == [researcher.api_key[:11]]
        assert "key" not in listed[0] and listed[0]["last_used_at"] is not None
        new = http.post("/api/auth/api-keys", headers=researcher.headers, json={"name": "ci"}).json()
        headers = {"X-API-Key": new["key"]}
        assert http.get("/api/auth/me", headers=headers).json()["username"] == "rita"
        assert http.get("/api/auth/me", headers={"Authorization": f"Bearer {new['key']}"}).status_code == 200
        assert http.delete(f"/api/auth/api-keys/{new['key_info']['id']}", headers=headers).status_code == 200
        assert http.get("/api/auth/me", headers=headers).status_code == 401
        assert http.get("/api/auth/me", headers={"X-API-Key": "st_" + "x" * 32}).status_code == 401


def test_an_expired_api_key_gets_401(stack: RunningStack, researcher: Account) -> None:
    with stack.http() as http:
        new = http.post("/api/auth/api-keys", headers=researcher.headers, json={"name": "old", "expires_days": 1})
        key, key_id = new.json()["key"], new.json()["key_info"]["id"]
        assert http.get("/api/auth/me", headers={"X-API-Key": key}).status_code == 200
        _auth_db(stack, "UPDATE auth_api_keys SET expires_at = :t WHERE id = :id",
                 t=datetime.now(UTC) - timedelta(seconds=1), id=key_id)  # fmt: skip
        assert http.get("/api/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_key_scopes_are_enforced_and_cannot_exceed_the_owner(
    stack: RunningStack, admin: Account, researcher: Account
) -> None:
    with stack.http() as http:
        scoped = http.post(
            "/api/auth/api-keys", headers=admin.headers, json={"name": "read", "scoped_permissions": ["config.view"]}
        ).json()
        headers = {"X-API-Key": scoped["key"]}
        assert http.get("/api/auth/me", headers=headers).json()["username"] == admin.username
        assert http.get("/api/users", headers=headers).status_code == 403
        assert http.get("/api/users", headers=admin.headers).status_code == 200
        beyond = http.post(
            "/api/auth/api-keys", headers=researcher.headers, json={"name": "x", "scoped_permissions": ["admin.users"]}
        )
        unknown = http.post(
            "/api/auth/api-keys", headers=researcher.headers, json={"name": "x", "scoped_permissions": ["no.such"]}
        )
    assert beyond.status_code == 403 and "admin.users" in beyond.json()["detail"]
    assert unknown.status_code == 400 and "no.such" in unknown.json()["detail"]


def test_someone_elses_key_is_not_found_but_an_admin_may_revoke_it(
    stack: RunningStack, admin: Account, researcher: Account, other_researcher: Account
) -> None:
    with stack.http() as http:
        mine = http.post("/api/auth/api-keys", headers=researcher.headers, json={"name": "mine"}).json()
        key_id = mine["key_info"]["id"]
        assert http.delete(f"/api/auth/api-keys/{key_id}", headers=other_researcher.headers).status_code == 404
        assert http.get("/api/auth/me", headers={"X-API-Key": mine["key"]}).status_code == 200
        assert http.delete(f"/api/auth/api-keys/{key_id}", headers=admin.headers).status_code == 200
        assert http.get("/api/auth/me", headers={"X-API-Key": mine["key"]}).status_code == 401


def test_cross_site_writes_with_the_cookie_are_refused_but_curl_and_api_keys_are_not(
    stack: RunningStack, admin: Account
) -> None:
    body = {"name": "csrf"}
    with stack.http() as http:
        _login(http, admin.username, admin.password)
        evil_origin = http.post("/api/auth/api-keys", json=body, headers={"Origin": "https://evil.example"})
        cross_site = http.post("/api/auth/api-keys", json=body, headers={"Sec-Fetch-Site": "cross-site"})
        same_origin = http.post(
            "/api/auth/api-keys", json=body, headers={"Origin": stack.url, "Sec-Fetch-Site": "same-origin"}
        )
        plain_curl = http.post("/api/auth/api-keys", json=body)
    with stack.http() as keyed:
        with_key = keyed.post(
            "/api/auth/api-keys", json=body, headers={**admin.headers, "Origin": "https://evil.example"}
        )
    assert evil_origin.status_code == cross_site.status_code == 403
    assert same_origin.status_code == plain_curl.status_code == with_key.status_code == 200


def test_admins_manage_users_and_a_deactivated_user_is_locked_out(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        made = http.post(
            "/api/users",
            json={
                "email": "dana@example.com",
                "username": "dana",
                "password": "dana-password",
                "level_names": ["lead"],
            },
        )
        assert made.status_code == 201
        user_id = made.json()["id"]
        assert "job.view.all" in made.json()["permissions"]
        duplicate = http.post(
            "/api/users", json={"email": "other@example.com", "username": "dana", "password": "dana-password"}
        )
        assert duplicate.status_code == 409
        bad_level = http.post(
            "/api/users",
            json={"email": "e@example.com", "username": "eve", "password": "eve-password", "level_names": ["boss"]},
        )
        assert bad_level.status_code == 400 and "boss" in bad_level.json()["detail"]
        assert "dana" in [user["username"] for user in http.get("/api/users").json()]
        changed = http.patch(f"/api/users/{user_id}", json={"level_names": ["viewer"], "display_name": "Dana"})
        assert [level["name"] for level in changed.json()["levels"]] == ["viewer"]
        assert changed.json()["display_name"] == "Dana"
        assert http.post(f"/api/users/{user_id}/deactivate").json()["is_active"] is False
    with stack.http() as anonymous:
        assert _login(anonymous, "dana", "dana-password").status_code == 401
    with stack.http(headers=admin.headers) as http:
        http.post(f"/api/users/{user_id}/activate")
        assert http.delete(f"/api/users/{user_id}").status_code == 200
        assert http.get(f"/api/users/{user_id}").status_code == 404


def test_the_last_admin_cannot_be_removed(stack: RunningStack, admin: Account) -> None:
    with stack.http(headers=admin.headers) as http:
        demote = http.patch(f"/api/users/{admin.user_id}", json={"level_names": ["researcher"]})
        delete = http.delete(f"/api/users/{admin.user_id}")
        still = http.get("/api/auth/me").json()
    assert demote.status_code == delete.status_code == 400
    assert "administrator" in demote.json()["detail"] and still["is_admin"] is True


def test_levels_and_permissions_are_listed_from_the_catalogue(stack: RunningStack, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        levels = {level["name"]: level for level in http.get("/api/users/meta/levels").json()}
        names = [p["name"] for p in http.get("/api/users/meta/permissions").json()]
    assert list(levels)[:4] == ["admin", "lead", "researcher", "viewer"]
    assert all(level["is_system"] for level in levels.values())
    assert set(levels["admin"]["permissions"]) == set(names)
    assert len(names) >= 17 and {"job.submit", "queue.approve", "admin.workers", "api.keys.own"} <= set(names)
    assert set(levels["viewer"]["permissions"]) < set(levels["researcher"]["permissions"])


def test_keys_sessions_and_passwords_never_reach_the_logs(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        session = _login(http, admin.username, admin.password).cookies["simpletuner_session"]
        key = http.post("/api/auth/api-keys", json={"name": "secret"}).json()["key"]
        http.get("/api/auth/me", headers={"X-API-Key": key})
    logs = "".join(path.read_text() for path in (stack.workspace / "private" / "logs").glob("*.log"))
    assert "auth" in logs  # the logs exist and are being written
    for secret in (key, session, admin.password, admin.api_key):
        assert secret not in logs


def test_under_tls_the_session_cookie_is_secure(tmp_path: Path) -> None:
    with running_stack(tmp_path, "--ssl", tls=True) as secure, secure.http() as http:
        reply = http.post("/api/cloud/auth/setup/first-admin", json=SEED_ADMIN)
    assert reply.status_code == 200 and "secure" in reply.headers["set-cookie"].lower()


def _auth_db(stack: RunningStack, sql: str, **params: object) -> None:
    url = stack.database_url or f"sqlite:///{stack.workspace / 'private' / 'db' / 'auth.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def test_signing_in_with_the_email_address_works_too(stack: RunningStack, admin: Account) -> None:
    with stack.http() as http:
        reply = http.post(
            "/api/auth/login", json={"email": f"{admin.username}@example.com", "password": admin.password}
        )
        by_username_field = _login(http, f"{admin.username.upper()}@EXAMPLE.COM", admin.password)
    assert reply.status_code == by_username_field.status_code == 200


def test_many_failures_from_one_address_are_rate_limited_across_accounts(
    tmp_path: Path, new_database: Callable[[], str | None]
) -> None:
    with running_stack(tmp_path, env=database_env(new_database())) as fresh:
        admin = create_first_admin(fresh)
        with fresh.http() as http:
            codes = [_login(http, f"nobody{i}", "wrong-password").status_code for i in range(20)]
            limited = _login(http, admin.username, admin.password)
    assert codes == [401] * 20  # four tries per account name: under the per-account limit
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
