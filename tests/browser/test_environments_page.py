"""The Environments page (the seeds' Manage Configs → Environment tab): the list with the active and Default
environments marked, activate, download, duplicate, rename, delete (never the active one), import, create,
and the per-environment "Use environment defaults" switch, with the header's switcher kept in step."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def owner(ui_stack: RunningStack, ui_admin: Account) -> Account:
    """The admin with "alpha" (tiny-demo, active), "beta" (empty sdxl) and the Default environment."""
    with ui_stack.http(headers=ui_admin.headers) as http:
        http.post("/api/configs/environments", json={"name": "alpha", "example": "tiny-demo"}).raise_for_status()
        new = {"name": "beta", "model_family": "sdxl", "description": "SDXL portraits"}
        http.post("/api/configs/environments", json=new).raise_for_status()
        http.post("/api/configs/import", json={"data": {"--report_to": "none"}, "name": "default"}).raise_for_status()
        http.post("/api/configs/alpha/activate").raise_for_status()
    return ui_admin


def row(page: Page, name: str):  # noqa: ANN201 - a Playwright Locator
    return page.get_by_test_id(f"env-row-{name}")


def open_environments(new_page: Callable[..., Page], account: Account, **size: int) -> Page:
    page = new_page(account, **size)
    page.goto("/environments")
    expect(row(page, "alpha")).to_be_visible()
    return page


def test_the_list_marks_the_active_and_the_default_environment(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_environments(new_page, owner)
    expect(row(page, "alpha").get_by_test_id("active-badge")).to_be_visible()
    expect(row(page, "beta").get_by_test_id("active-badge")).to_be_hidden()
    expect(row(page, "alpha")).to_contain_text("sd1x · lora")
    expect(row(page, "beta")).to_contain_text("SDXL portraits")
    expect(row(page, "beta")).to_contain_text("you")
    expect(row(page, "default")).to_contain_text("Default · not for training")
    expect(page.get_by_test_id("default-note")).to_contain_text("merged into every environment")
    screenshots.take(page, "environments")


def test_duplicating_an_environment_lists_the_copy_here_and_in_the_header(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_environments(new_page, owner)
    row(page, "alpha").get_by_role("button", name="Duplicate alpha").click()
    dialog = page.get_by_test_id("duplicate-dialog")
    expect(dialog.get_by_label("Name of the copy")).to_have_value("alpha-copy")
    screenshots.take(page, "duplicate dialog")
    dialog.get_by_role("button", name="Duplicate").click()
    expect(row(page, "alpha-copy")).to_be_visible()
    expect(page.get_by_test_id("env-switcher").locator("option", has_text="alpha-copy")).to_have_count(1)
    config = page.request.get("/api/configs/alpha-copy").json()["config"]
    assert config["--output_dir"] == "output/alpha-copy"  # its own outputs, never alpha's checkpoints

    taken = row(page, "alpha").get_by_role("button", name="Duplicate alpha")
    taken.click()
    dialog.get_by_label("Name of the copy").fill("beta")
    dialog.get_by_role("button", name="Duplicate").click()
    expect(dialog.locator(".field-error")).to_contain_text("already exists")
    screenshots.take(page, "duplicate refused")


def test_downloading_an_environment_gives_its_export_document(
    owner: Account, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    page = open_environments(new_page, owner)
    with page.expect_download() as download:
        row(page, "alpha").get_by_role("link", name="Download alpha").click()
    assert download.value.suggested_filename == "alpha.json"
    saved = tmp_path / "alpha.json"
    download.value.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["_metadata"]["name"] == "alpha"
    assert document["config"]["--model_family"] == "sd1x"
    assert "multidatabackend.json" in document["dataloaders"]


def test_an_exported_file_imports_under_a_new_name(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots, tmp_path: Path
) -> None:
    page = open_environments(new_page, owner)
    exported = tmp_path / "beta.json"
    exported.write_text(page.request.get("/api/configs/beta/export").text())
    page.get_by_role("button", name="Import").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_label("Exported file (.json)").set_input_files(str(exported))
    dialog.get_by_label("Name (optional)").fill("beta-imported")
    screenshots.take(page, "import dialog")
    dialog.get_by_role("button", name="Import").click()
    expect(row(page, "beta-imported")).to_contain_text("SDXL portraits")


def test_the_active_environment_cannot_be_deleted_and_says_why_while_another_one_can(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_environments(new_page, owner)
    assert page.request.post("/api/configs/beta/copy", data={"target_name": "doomed"}).ok
    page.reload()
    row(page, "alpha").get_by_role("button", name="More actions for alpha").click()
    row(page, "alpha").get_by_role("button", name="Delete alpha").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("delete-refused")).to_contain_text("active environment, so it cannot be deleted")
    expect(dialog.get_by_role("button", name="Delete", exact=True)).to_be_hidden()
    screenshots.take(page, "delete refused")
    dialog.get_by_role("button", name="Close").click()
    assert page.request.delete("/api/configs/alpha").status == 400  # the API refuses it too

    row(page, "doomed").get_by_role("button", name="More actions for doomed").click()
    row(page, "doomed").get_by_role("button", name="Delete doomed").click()
    expect(dialog.get_by_role("heading", name="Delete doomed?")).to_be_visible()
    screenshots.take(page, "delete confirm")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(row(page, "doomed")).to_have_count(0)
    expect(page.get_by_test_id("env-switcher").locator("option", has_text="doomed")).to_have_count(0)


def test_the_use_environment_defaults_switch_is_kept_per_environment(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_environments(new_page, owner)
    switch = page.get_by_role("switch", name="Use environment defaults for beta", exact=True)
    expect(switch).to_be_checked()
    switch.click()
    expect(page.locator("#toasts")).to_contain_text("beta no longer merges in the default environment")
    expect(row(page, "beta")).to_contain_text("Off")
    assert page.request.get("/api/configs/beta").json()["metadata"]["use_environment_defaults"] is False
    page.reload()
    expect(page.get_by_role("switch", name="Use environment defaults for beta", exact=True)).not_to_be_checked()
    expect(row(page, "default")).to_contain_text("Supplies them")
    screenshots.take(page, "defaults switched off")
    page.get_by_role("switch", name="Use environment defaults for beta", exact=True).click()
    expect(page.get_by_role("switch", name="Use environment defaults for beta", exact=True)).to_be_checked()


def test_activating_here_or_in_the_header_keeps_both_in_step(owner: Account, new_page: Callable[..., Page]) -> None:
    page = open_environments(new_page, owner)
    row(page, "beta").get_by_role("button", name="Activate beta").click()
    expect(row(page, "beta").get_by_test_id("active-badge")).to_be_visible()
    expect(page.get_by_test_id("env-switcher")).to_have_value("beta")
    page.get_by_test_id("env-switcher").select_option("alpha")
    expect(row(page, "alpha").get_by_test_id("active-badge")).to_be_visible()
    expect(row(page, "beta").get_by_test_id("active-badge")).to_be_hidden()


def test_a_new_environment_from_an_example_and_a_rename(
    owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_environments(new_page, owner)
    page.get_by_role("button", name="New environment").click()
    dialog = page.get_by_test_id("create-dialog")
    dialog.get_by_test_id("example-sdxl-lora").click()
    expect(dialog.get_by_label("Environment name")).to_have_value("sdxl-lora")
    dialog.get_by_label("Environment name").fill("bad name")
    dialog.get_by_role("button", name="Create environment").click()
    expect(dialog.locator("#new-env-name-error")).to_contain_text("letters, digits")
    dialog.get_by_label("Environment name").fill("portraits")
    dialog.get_by_label("Make it my active environment").uncheck()
    screenshots.take(page, "new environment")
    dialog.get_by_role("button", name="Create environment").click()
    expect(row(page, "portraits")).to_contain_text("sdxl · lora")
    expect(row(page, "alpha").get_by_test_id("active-badge")).to_be_visible()

    row(page, "portraits").get_by_role("button", name="More actions for portraits").click()
    row(page, "portraits").get_by_role("button", name="Rename portraits").click()
    rename = page.get_by_test_id("rename-dialog")
    rename.get_by_label("New name").fill("portraits-v2")
    rename.get_by_role("button", name="Rename").click()
    expect(row(page, "portraits-v2")).to_be_visible()
    expect(row(page, "portraits")).to_have_count(0)


def test_a_viewer_sees_the_list_without_the_actions_they_may_not_take(
    ui_stack: RunningStack, owner: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, owner, "env-viewer", ["viewer"])
    page = open_environments(new_page, viewer)
    expect(page.get_by_role("button", name="New environment")).to_be_hidden()
    expect(row(page, "beta").get_by_role("button", name="More actions for beta")).to_be_hidden()
    expect(page.get_by_role("switch", name="Use environment defaults for beta", exact=True)).to_be_disabled()
    expect(row(page, "beta")).to_contain_text("another user")
    screenshots.take(page, "viewer")


def test_the_page_fits_a_phone(owner: Account, new_page: Callable[..., Page], screenshots: Screenshots) -> None:
    page = open_environments(new_page, owner, **PHONE)
    expect(row(page, "alpha").get_by_role("button", name="Duplicate alpha")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    screenshots.take(page, "phone")
