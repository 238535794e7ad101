"""The shell every page shares: setup, sign-in, the menu by permission, and pages refused without it."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account


def test_signed_out_visitors_are_sent_to_sign_in(ui_admin: Account, new_page: Callable[..., Page]) -> None:
    page = new_page()
    page.goto("/queue")
    expect(page).to_have_url("/login?next=/queue")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_viewer_sees_only_their_pages_and_is_refused_the_others(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, ui_admin, "shell-viewer", ["viewer"])
    page = new_page()
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(viewer.username)
    page.get_by_label("Password").fill(viewer.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-name")).to_have_text(viewer.username)
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Manage Users")).to_have_count(0)
    expect(menu.get_by_role("link", name="Workers")).to_have_count(0)
    screenshots.take(page, "viewer menu")
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot open Manage Users")).to_be_visible()


def test_self_registration_is_offered_only_while_an_administrator_has_it_switched_on(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page()
    page.goto("/login")
    expect(page.get_by_role("link", name="Create an account")).to_have_count(0)
    page.goto("/register")
    expect(page).to_have_url("/login")  # closed by default
    with ui_stack.http(headers=ui_admin.headers) as http:
        http.put("/api/users/registration", json={"enabled": True, "default_level": "viewer"}).raise_for_status()
    try:
        page.goto("/login")
        page.get_by_role("link", name="Create an account").click()
        expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        page.get_by_label("E-mail").fill("newcomer@example.com")
        page.get_by_label("Username").fill("newcomer")
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("alert")).to_contain_text("password")  # the API's reason, shown in the form
        page.get_by_label("Password").fill("newcomer-password")
        screenshots.take(page, "registration form")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_test_id("user-name")).to_have_text("newcomer")
        screenshots.take(page, "signed in as the new viewer")
    finally:
        with ui_stack.http(headers=ui_admin.headers) as http:
            http.put("/api/users/registration", json={"enabled": False, "default_level": "viewer"}).raise_for_status()
