"""The profile page: your account, changing your password, and API keys shown once, used, then revoked."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

PHONE = {"width": 390, "height": 844}


def _status_with_key(stack: RunningStack, key: str) -> int:
    with stack.http(headers={"X-API-Key": key}) as http:
        return http.get("/api/training/status").status_code


def test_an_api_key_made_in_the_page_is_shown_once_works_and_stops_when_revoked(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    researcher = create_account(ui_stack, ui_admin, "kim", ["researcher"])
    page = new_page(researcher)
    page.goto("/profile")
    expect(page.get_by_test_id("profile-username")).to_have_text("kim")
    screenshots.take(page, "profile")

    form = page.get_by_test_id("new-key-form")
    form.get_by_label("Name").fill("automation-key")
    form.get_by_label("Expires after (days)").fill("30")
    form.get_by_role("button", name="Create key").click()
    shown = page.get_by_test_id("new-api-key")
    expect(shown).to_have_value(re.compile(r"^st_[A-Za-z0-9]{32}$"))
    key = shown.input_value()
    expect(page.get_by_test_id("curl-example")).to_have_text(
        f"curl -s {ui_stack.url}/api/training/status \\\n  -H 'X-API-Key: {key}'"
    )
    expect(page.get_by_test_id("key-row-automation-key")).to_contain_text(key[:11])
    screenshots.take(page, "key shown once")
    assert _status_with_key(ui_stack, key) == 200

    page.reload()
    row = page.get_by_test_id("key-row-automation-key")
    expect(row.get_by_test_id("key-status")).to_have_text("Active")
    expect(page.get_by_test_id("new-key-panel")).to_have_count(0)
    assert key not in page.content(), "the full key is shown only once"
    screenshots.take(page, "after reload the key is gone")

    row.get_by_role("button", name="Revoke key automation-key").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_contain_text("401")
    confirm.get_by_role("button", name="Revoke key").click()
    expect(row.get_by_test_id("key-status")).to_have_text("Revoked")
    expect(row.get_by_role("button", name="Revoke key automation-key")).to_be_hidden()
    screenshots.take(page, "key revoked")
    assert _status_with_key(ui_stack, key) == 401


def test_a_key_can_be_limited_to_some_permissions(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    researcher = create_account(ui_stack, ui_admin, "ken", ["researcher"])
    page = new_page(researcher, **PHONE)
    page.goto("/profile")
    form = page.get_by_test_id("new-key-form")
    form.get_by_label("Name").fill("read-only")
    form.get_by_text("Limit the key to some of your permissions").click()
    form.get_by_role("checkbox", name="queue.view", exact=True).check()
    expect(form.get_by_role("checkbox", name="admin.users")).to_have_count(0)  # only your own permissions
    form.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-api-key").input_value()
    expect(page.get_by_test_id("key-row-read-only")).to_contain_text("queue.view")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    screenshots.take(page, "scoped key on a phone")
    with ui_stack.http(headers={"X-API-Key": key}) as http:
        assert http.get("/api/queue").status_code == 200
        assert http.get("/api/training/status").status_code == 403


def test_changing_the_password_in_the_page_then_signing_in_with_the_new_one(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    user = create_account(ui_stack, ui_admin, "lena", ["researcher"])
    page = new_page(user)
    page.goto("/profile")
    form = page.get_by_test_id("password-form")
    form.get_by_label("Current password").fill("not-my-password")
    form.get_by_label("New password", exact=True).fill("lena-new-password")
    form.get_by_label("Repeat the new password").fill("lena-other-password")
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("#confirm-password-error")).to_have_text(re.compile("^The two new passwords differ"))

    form.get_by_label("Repeat the new password").fill("lena-new-password")
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("#current-password-error")).to_contain_text("current password is wrong")
    expect(form.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    screenshots.take(page, "wrong current password")

    form.get_by_label("Current password").fill(user.password)
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_test_id("password-changed")).to_be_visible()
    expect(page.get_by_test_id("password-form")).to_be_hidden()
    screenshots.take(page, "password changed")
    with ui_stack.http() as http:
        old = http.post("/api/auth/login", json={"username": "lena", "password": user.password})
    assert old.status_code == 401

    page.get_by_role("link", name="Sign in with the new password").click()
    page.get_by_label("Username or e-mail").fill("lena")
    page.get_by_label("Password").fill("lena-new-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile("/profile$"))
    expect(page.get_by_test_id("profile-username")).to_have_text("lena")


def test_a_viewer_sees_their_account_but_no_api_keys(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, ui_admin, "vic", ["viewer"])
    page = new_page(viewer)
    page.goto("/profile")
    expect(page.get_by_test_id("profile-username")).to_have_text("vic")
    permissions = page.get_by_test_id("effective-permissions")
    expect(permissions.locator("summary")).to_have_text("Effective permissions (4)")
    permissions.locator("summary").click()
    expect(permissions).to_contain_text("config.view")
    expect(page.get_by_test_id("api-keys")).to_have_count(0)
    screenshots.take(page, "viewer profile")
    assert page.request.get("/api/auth/api-keys").status == 403
