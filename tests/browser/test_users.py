"""Manage Users in the browser: accounts, levels and rules, the real sign-in methods, and registration."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

PHONE = {"width": 390, "height": 844}


def _open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def test_an_admin_creates_a_researcher_changes_their_levels_and_deactivates_them(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page(ui_admin)
    page.goto("/admin/users")
    expect(page.get_by_test_id(f"user-row-{ui_admin.username}")).to_be_visible()
    screenshots.take(page, "users tab")

    page.get_by_role("button", name="Create user").click()
    dialog = page.get_by_test_id("create-user-dialog")
    dialog.get_by_label("E-mail").fill("maria@example.com")
    dialog.get_by_label("Username").fill(ui_admin.username)
    dialog.get_by_label("Password").fill("maria-password")
    expect(dialog.get_by_role("checkbox", name=re.compile(r"^researcher"))).to_be_checked()
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog.get_by_role("alert")).to_have_text("a user with this username already exists")
    dialog.get_by_label("Username").fill("maria")
    screenshots.take(page, "create user dialog")
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_test_id("user-row-maria")
    expect(row.get_by_test_id("user-levels")).to_have_text(re.compile(r"^\s*researcher\s*$"))
    expect(row.get_by_test_id("user-active")).to_have_text("Active")

    row.get_by_role("button", name="Edit maria").click()
    edit = page.get_by_test_id("edit-user-dialog")
    edit.get_by_label("Display name").fill("María")
    edit.get_by_role("checkbox", name=re.compile(r"^lead")).check()
    edit.get_by_role("checkbox", name=re.compile(r"^researcher")).uncheck()
    screenshots.take(page, "edit user dialog")
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    expect(row.get_by_test_id("user-levels")).to_have_text(re.compile(r"^\s*lead\s*$"))
    with ui_stack.http(headers=ui_admin.headers) as http:
        maria = next(user for user in http.get("/api/users").json() if user["username"] == "maria")
    assert [level["name"] for level in maria["levels"]] == ["lead"] and maria["display_name"] == "María"

    row.get_by_role("button", name="Deactivate maria").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm.get_by_role("heading", name="Deactivate maria?")).to_be_visible()
    confirm.get_by_role("button", name="Deactivate").click()
    expect(confirm).to_be_hidden()
    expect(row.get_by_test_id("user-active")).to_have_text("Inactive")
    screenshots.take(page, "maria deactivated")
    with ui_stack.http() as anonymous:
        refused = anonymous.post("/api/auth/login", json={"username": "maria", "password": "maria-password"})
    assert refused.status_code == 401

    page.get_by_label("Status").select_option("inactive")
    expect(page.get_by_test_id("users-table").locator("tbody tr:visible")).to_have_count(1)
    page.get_by_role("searchbox", name="Search").fill("nobody-like-this")
    expect(page.get_by_text("No user matches the search and filters.")).to_be_visible()


def test_a_per_user_override_grants_a_permission_the_levels_do_not(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, ui_admin, "vera", ["viewer"])
    page = new_page(ui_admin)
    page.goto("/admin/users")
    page.get_by_role("button", name="Edit vera").click()
    edit = page.get_by_test_id("edit-user-dialog")
    edit.get_by_text("Permission overrides").click()
    edit.get_by_label("job.submit").select_option("grant")
    edit.get_by_label("queue.view", exact=True).select_option("revoke")
    screenshots.take(page, "permission overrides")
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    expect(page.get_by_test_id("user-row-vera").get_by_text("2 override(s)")).to_be_visible()
    with ui_stack.http(headers=ui_admin.headers) as http:
        vera = http.get(f"/api/users/{viewer.user_id}").json()
    assert vera["permission_overrides"] == {"job.submit": True, "queue.view": False}
    assert "job.submit" in vera["permissions"] and "queue.view" not in vera["permissions"]


def test_you_cannot_delete_yourself_but_can_delete_someone_else(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    create_account(ui_stack, ui_admin, "dora", ["viewer"])
    page = new_page(ui_admin)
    page.goto("/admin/users")
    own = page.get_by_test_id(f"user-row-{ui_admin.username}")
    expect(own.get_by_test_id("self-note")).to_be_visible()
    expect(own.get_by_test_id("self-note")).to_have_text("You cannot delete or deactivate yourself")
    expect(own.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    with ui_stack.http(headers=ui_admin.headers) as http:
        refused = http.delete(f"/api/users/{ui_admin.user_id}")
        refused_deactivation = http.post(f"/api/users/{ui_admin.user_id}/deactivate")
    assert refused.status_code == refused_deactivation.status_code == 400
    assert "your own account" in refused.json()["detail"]

    page.get_by_role("button", name="Delete dora").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_contain_text("cannot be undone")
    screenshots.take(page, "delete confirmation")
    confirm.get_by_role("button", name="Delete user").click()
    expect(page.get_by_test_id("user-row-dora")).to_have_count(0)
    with ui_stack.http(headers=ui_admin.headers) as http:
        assert "dora" not in [user["username"] for user in http.get("/api/users?include_inactive=true").json()]


def test_an_admin_creates_a_custom_level_with_two_permissions_and_a_resource_rule(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page(ui_admin)
    page.goto("/admin/users")
    page.get_by_role("tab", name="Users").focus()
    page.keyboard.press("ArrowRight")  # the tabs follow the arrow keys, and the URL keeps the tab
    expect(page.get_by_role("tab", name="Levels")).to_be_focused()
    expect(page).to_have_url(re.compile("#levels$"))
    expect(page.get_by_test_id("level-admin")).to_contain_text("Built-in")
    expect(page.get_by_role("button", name="Delete level viewer")).to_be_hidden()
    screenshots.take(page, "levels tab")

    page.get_by_role("button", name="Create level").click()
    dialog = page.get_by_test_id("level-dialog")
    dialog.get_by_label("Name", exact=True).fill("auditor")
    dialog.get_by_label("Description").fill("Reads the audit log and the queue")
    dialog.get_by_role("spinbutton", name="Priority").fill("20")
    dialog.get_by_role("checkbox", name="admin.audit").check()
    dialog.get_by_role("checkbox", name="queue.view", exact=True).check()
    screenshots.take(page, "create level dialog")
    dialog.get_by_role("button", name="Create level").click()
    expect(dialog).to_be_hidden()
    card = page.get_by_test_id("level-auditor")
    expect(card).to_contain_text("Custom")
    expect(card.locator("dd").nth(1)).to_have_text("2")
    with ui_stack.http(headers=ui_admin.headers) as http:
        auditor = next(level for level in http.get("/api/users/meta/levels").json() if level["name"] == "auditor")
    assert sorted(auditor["permissions"]) == ["admin.audit", "queue.view"] and auditor["priority"] == 20

    card.get_by_role("button", name="Rules of level auditor").click()
    page.get_by_role("button", name="Create rule").click()
    rule = page.get_by_test_id("rule-dialog")
    rule.get_by_label("Name").fill("team-a-configs")
    rule.get_by_label("Resource").select_option("config")
    rule.get_by_label("Pattern").fill("team-a-*")
    expect(rule.get_by_role("checkbox", name="auditor")).to_be_checked()
    rule.get_by_role("button", name="Create rule").click()
    expect(rule).to_be_hidden()
    rules = page.get_by_test_id("rules-table")
    expect(rules).to_contain_text("team-a-*")
    expect(rules).to_contain_text("Allow")
    screenshots.take(page, "resource rule of auditor")
    with ui_stack.http(headers=ui_admin.headers) as http:
        attached = http.get(f"/api/users/levels/{auditor['id']}/rules").json()
    assert [(r["name"], r["resource_type"], r["pattern"], r["action"]) for r in attached] == [
        ("team-a-configs", "config", "team-a-*", "allow")
    ]
    page.get_by_role("button", name="Delete rule team-a-configs").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Delete rule").click()
    expect(rules).to_contain_text("This level has no resource rules")

    page.get_by_role("button", name="Delete level auditor").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Delete level").click()
    expect(page.get_by_test_id("level-auditor")).to_have_count(0)


def test_registration_is_switched_on_and_off_in_the_page(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    def registration() -> dict[str, object]:
        with ui_stack.http(headers=ui_admin.headers) as http:
            return dict(http.get("/api/users/registration").json())

    page = new_page(ui_admin)
    page.goto("/admin/users#registration")
    expect(page.get_by_role("tab", name="Registration")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("registration-state")).to_have_text("Off")
    screenshots.take(page, "registration off")

    page.get_by_label("Allow self-registration").check()
    page.get_by_label("Level new accounts get").select_option("viewer")
    page.get_by_role("button", name="Save registration settings").click()
    expect(page.get_by_test_id("registration-state")).to_have_text("On: anyone can sign up")
    expect(page.get_by_role("status").filter(has_text="Self-registration is on")).to_be_visible()
    assert registration() == {"enabled": True, "default_level": "viewer"}
    screenshots.take(page, "registration on")

    page.get_by_label("Allow self-registration").uncheck()
    page.get_by_label("Level new accounts get").select_option("researcher")
    page.get_by_role("button", name="Save registration settings").click()
    expect(page.get_by_test_id("registration-state")).to_have_text("Off")
    assert registration() == {"enabled": False, "default_level": "researcher"}


def test_auth_providers_shows_the_real_counts_and_no_fake_sso_settings(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    create_account(ui_stack, ui_admin, "pia", ["researcher"])
    with ui_stack.http(headers=ui_admin.headers) as http:
        users = http.get("/api/users?include_inactive=true").json()
        keys = http.get("/api/auth/api-keys?all_users=true").json()
        own_keys = http.get("/api/auth/api-keys").json()
    assert len(keys) > len(own_keys), "everyone's keys include pia's"
    providers = Counter(user["auth_provider"] for user in users)
    active_keys = sum(key["is_active"] for key in keys)

    page = new_page(ui_admin)
    page.goto("/admin/users#auth-providers")
    for provider, count in providers.items():
        expect(page.get_by_test_id(f"provider-count-{provider}").locator("td").nth(1)).to_have_text(str(count))
    expect(page.get_by_test_id("active-key-count")).to_have_text(str(active_keys))
    expect(page.get_by_test_id("key-creators")).to_contain_text("level researcher")
    expect(page.get_by_test_id("key-creators")).not_to_contain_text("level viewer")
    sso = page.get_by_test_id("provider-sso")
    expect(sso).to_contain_text("not available in this version")
    expect(sso.locator("input, select, textarea")).to_have_count(0)
    expect(page.get_by_test_id("provider-sessions")).to_contain_text("simpletuner_session")
    screenshots.take(page, "auth providers")


def test_the_page_works_on_a_phone(ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots) -> None:
    page = new_page(ui_admin, **PHONE)
    page.goto("/admin/users")
    row = page.get_by_test_id(f"user-row-{ui_admin.username}")
    expect(row).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    screenshots.take(page, "users on a phone")
    _open_tab(page, "Levels")
    expect(page.get_by_test_id("level-researcher")).to_be_visible()
    screenshots.take(page, "levels on a phone")


def test_a_researcher_is_refused_the_page_and_the_api(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    researcher = create_account(ui_stack, ui_admin, "rex", ["researcher"])
    page = new_page(researcher)
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot open Manage Users")).to_be_visible()
    screenshots.take(page, "researcher refused")
    with ui_stack.http(headers=researcher.headers) as http:
        created = http.post("/api/users", json={"email": "x@example.com", "username": "sneaky", "password": "x" * 12})
        registration = http.put("/api/users/registration", json={"enabled": True})
        everyone = http.get("/api/auth/api-keys?all_users=true")
    assert created.status_code == registration.status_code == everyone.status_code == 403
