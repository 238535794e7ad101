"""The Datasets page and its dataset wizard, as the seeds walk through them: upload a ZIP into a new folder,
pick resolution, crop and captions, save; or Browse directories and Select Directory on a folder already there."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account

ENVIRONMENT = "wizard-demo"


def captioned_zip(count: int = 4) -> bytes:
    """`count` small PNGs, each with a .txt caption of the same name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, colour in zip(range(count), ("red", "green", "blue", "yellow"), strict=False):
            image = io.BytesIO()
            Image.new("RGB", (96, 96), colour).save(image, format="PNG")
            archive.writestr(f"square-{index}.png", image.getvalue())
            archive.writestr(f"square-{index}.txt", f"a {colour} square")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def environment(ui_stack: RunningStack, ui_admin: Account) -> str:
    """An environment made from the tiny-demo example, active for the admin."""
    with ui_stack.http(headers=ui_admin.headers) as http:
        made = http.post("/api/configs/environments", json={"name": ENVIRONMENT, "example": "tiny-demo"})
        assert made.status_code == 201, made.text
        http.post(f"/api/configs/{ENVIRONMENT}/activate").raise_for_status()
    return ENVIRONMENT


def dataloader(stack: RunningStack, account: Account) -> dict[str, Any]:
    with stack.http(headers=account.headers) as http:
        reply = http.get(f"/api/configs/{ENVIRONMENT}/dataloader")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def open_wizard(page: Page) -> Any:
    page.goto("/datasets")
    expect(page.get_by_test_id("dataset-row-tiny-demo-text-embeds")).to_be_visible()
    page.get_by_test_id("add-dataset").click()
    wizard = page.get_by_test_id("dataset-wizard")
    expect(wizard.get_by_role("heading", name="Add a dataset")).to_be_visible()
    expect(wizard.get_by_role("radio", name="Local folder")).to_be_checked()
    return wizard


def test_the_wizard_uploads_a_zip_into_a_new_folder_and_saves_it_as_a_dataset(
    ui_stack: RunningStack,
    ui_admin: Account,
    environment: str,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
) -> None:
    page = new_page(ui_admin)
    wizard = open_wizard(page)
    screenshots.take(page, "datasets page with the wizard on kind")
    wizard.get_by_role("button", name="Next").click()

    expect(wizard.get_by_role("heading", name="Dataset folder")).to_be_visible()
    wizard.get_by_role("button", name="Upload").click()
    upload = page.get_by_test_id("dataset-upload")
    expect(upload.get_by_role("heading", name="Upload a dataset")).to_be_visible()
    upload.get_by_label("New folder name").fill("wizard-squares")
    upload.get_by_role("radio", name="A ZIP archive").check()
    upload.get_by_label("ZIP archive", exact=True).set_input_files(
        {"name": "squares.zip", "mimeType": "application/zip", "buffer": captioned_zip()}
    )
    screenshots.take(page, "upload dialog with a zip chosen")
    upload.get_by_role("button", name="Upload").click()
    expect(upload).to_be_hidden()
    expect(wizard.get_by_test_id("wizard-folder")).to_contain_text("wizard-squares")
    expect(wizard.get_by_test_id("wizard-image-count")).to_have_text("4 images")
    expect(wizard.get_by_test_id("wizard-caption-count")).to_have_text("4 captions")
    expect(wizard.get_by_role("status").filter(has_text="Uploaded 8 files to wizard-squares")).to_be_visible()
    screenshots.take(page, "uploaded folder selected")
    wizard.get_by_role("button", name="Next").click()

    expect(wizard.get_by_label("Dataset id")).to_have_value("wizard-squares")
    expect(wizard.get_by_label("Resolution", exact=True)).to_have_value("64")  # the environment's resolution
    expect(wizard.get_by_test_id("wizard-upscale-note")).to_contain_text("never upscales")
    wizard.get_by_label("Resolution", exact=True).fill("48")
    wizard.get_by_label("Resolution type").select_option("pixel")
    wizard.get_by_label("Crop images to the resolution").check()
    wizard.get_by_label("Crop style").select_option("center")
    wizard.get_by_label("Minimum image size").fill("32")
    wizard.get_by_label("Repeats").fill("2")
    screenshots.take(page, "resolution and crop")
    wizard.get_by_role("button", name="Next").click()

    expect(wizard.get_by_text("If you only want to use a trigger word, this is the option.")).to_be_visible()
    wizard.get_by_role("radio", name="Instance prompt").check()
    wizard.get_by_role("button", name="Next").click()
    expect(
        wizard.get_by_test_id("wizard-step-captions").get_by_text("Enter the trigger word")
    ).to_be_visible()  # asked for, not saved empty
    wizard.get_by_role("radio", name="Text files").check()
    expect(wizard.get_by_test_id("wizard-caption-warning")).to_be_hidden()  # every image has its .txt
    screenshots.take(page, "captions from text files")
    wizard.get_by_role("button", name="Next").click()

    expect(wizard.get_by_role("heading", name="Review")).to_be_visible()
    expect(wizard.get_by_text("Kept as they are:")).to_contain_text("tiny-demo-text-embeds")
    screenshots.take(page, "review")
    wizard.get_by_role("button", name="Save dataset").click()
    expect(wizard).to_be_hidden()
    row = page.get_by_test_id("dataset-row-wizard-squares")
    expect(row).to_contain_text("textfile")
    expect(row).to_contain_text("center, square")
    screenshots.take(page, "saved dataset in the list")

    saved = dataloader(ui_stack, ui_admin)
    entries = {entry["id"]: entry for entry in saved["datasets"]}
    entry = entries["wizard-squares"]
    assert entry["instance_data_dir"] == str(ui_stack.workspace.resolve() / "datasets" / "wizard-squares")
    assert (entry["type"], entry["dataset_type"], entry["caption_strategy"]) == ("local", "image", "textfile")
    assert (entry["resolution"], entry["resolution_type"], entry["crop"]) == (48, "pixel", True)
    assert (entry["crop_style"], entry["crop_aspect"], entry["minimum_image_size"], entry["repeats"]) == (
        "center",
        "square",
        32,
        2,
    )
    text_embeds = [e for e in saved["datasets"] if e["dataset_type"] == "text_embeds"]
    assert [e["id"] for e in text_embeds] == ["tiny-demo-text-embeds"] and text_embeds[0]["default"] is True
    assert "tiny-demo-shapes" in entries and saved["errors"] == []


def test_browse_directories_selects_an_existing_folder_and_warns_of_missing_captions(
    ui_stack: RunningStack,
    ui_admin: Account,
    environment: str,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
) -> None:
    no_captions = ui_stack.workspace / "datasets" / "browse-me" / "uncaptioned"
    no_captions.mkdir(parents=True)
    for index in range(3):
        Image.new("RGB", (80, 80), "purple").save(no_captions / f"{index}.png")
    page = new_page(ui_admin, width=390, height=844)  # on a phone
    wizard = open_wizard(page)
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("button", name="Browse directories").click()
    browser = page.get_by_test_id("dataset-browser")
    expect(browser.get_by_role("heading", name="Select a dataset folder")).to_be_visible()
    expect(browser.get_by_test_id("browser-folder-wizard-demo")).to_be_visible()  # datasets_dir is listed
    browser.get_by_role("button", name="Open browse-me").click()
    expect(browser.get_by_test_id("browser-folder-uncaptioned")).to_contain_text("3 images · 0 captions")
    browser.get_by_test_id("browser-folder-uncaptioned").click()
    screenshots.take(page, "directory browser with a folder selected")
    browser.get_by_role("button", name="Select Directory").click()
    expect(browser).to_be_hidden()
    expect(wizard.get_by_test_id("wizard-folder")).to_contain_text("browse-me/uncaptioned")
    expect(wizard.get_by_test_id("wizard-image-count")).to_have_text("3 images")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_label("Dataset id")).to_have_value("uncaptioned")
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("radio", name="Text files").check()
    expect(wizard.get_by_test_id("wizard-caption-warning")).to_contain_text("no .txt captions")
    screenshots.take(page, "text files chosen for a folder without captions")
    wizard.get_by_role("radio", name="Instance prompt").check()
    wizard.get_by_label("Instance prompt", exact=True).fill("a purple square")
    wizard.get_by_role("button", name="Next").click()
    screenshots.take(page, "review on a phone")
    wizard.get_by_role("button", name="Save dataset").click()
    expect(page.get_by_test_id("dataset-row-uncaptioned")).to_contain_text("a purple square")
    entry = next(e for e in dataloader(ui_stack, ui_admin)["datasets"] if e["id"] == "uncaptioned")
    assert entry["caption_strategy"] == "instanceprompt" and entry["instance_prompt"] == "a purple square"
    assert entry["instance_data_dir"].endswith("/datasets/browse-me/uncaptioned")


def test_a_viewer_sees_the_datasets_but_no_upload_or_add(
    ui_stack: RunningStack,
    ui_admin: Account,
    environment: str,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
) -> None:
    viewer = create_account(ui_stack, ui_admin, "dataset-viewer", ["viewer"])
    with ui_stack.http() as http:
        http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password})
        http.post(f"/api/configs/{ENVIRONMENT}/activate", headers={"Sec-Fetch-Site": "same-origin"}).raise_for_status()
    page = new_page(viewer, width=390, height=844)
    page.goto("/datasets")
    expect(page.get_by_test_id("dataset-row-tiny-demo-shapes")).to_be_visible()
    expect(page.get_by_test_id("folder-row-wizard-demo")).to_be_visible()
    expect(page.get_by_test_id("add-dataset")).to_be_hidden()
    expect(page.get_by_test_id("page-upload")).to_be_hidden()
    expect(page.get_by_role("button", name="Edit dataset tiny-demo-shapes")).to_be_hidden()
    screenshots.take(page, "viewer on a phone")


def test_a_dataset_is_edited_in_the_wizard_and_removed_from_the_list(
    ui_stack: RunningStack,
    ui_admin: Account,
    environment: str,
    new_page: Callable[..., Page],
    screenshots: Screenshots,
) -> None:
    current = dataloader(ui_stack, ui_admin)["datasets"]
    spare = {"id": "spare", "type": "local", "instance_data_dir": current[0]["instance_data_dir"]}
    with ui_stack.http(headers=ui_admin.headers) as http:
        http.put(f"/api/configs/{ENVIRONMENT}/dataloader", json={"datasets": [*current, spare]}).raise_for_status()
    page = new_page(ui_admin)
    page.goto("/datasets")
    page.get_by_role("button", name="Edit dataset tiny-demo-shapes").click()
    wizard = page.get_by_test_id("dataset-wizard")
    expect(wizard.get_by_role("heading", name="Edit dataset tiny-demo-shapes")).to_be_visible()
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_test_id("wizard-folder")).to_contain_text(ENVIRONMENT)  # its folder, with counts
    expect(wizard.get_by_test_id("wizard-image-count")).not_to_have_text("0 images")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_label("Crop images to the resolution")).to_be_checked()
    wizard.get_by_label("Repeats").fill("5")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_role("radio", name="Text files")).to_be_checked()
    wizard.get_by_role("button", name="Next").click()
    screenshots.take(page, "editing an existing dataset")
    wizard.get_by_role("button", name="Save dataset").click()
    expect(page.get_by_test_id("dataset-row-tiny-demo-shapes")).to_contain_text("5")

    page.get_by_role("button", name="Remove dataset spare").click()
    confirm = page.get_by_test_id("remove-dialog")
    expect(confirm).to_contain_text("Its images stay in their folder")
    screenshots.take(page, "removing a dataset")
    confirm.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("dataset-row-spare")).to_have_count(0)

    after = dataloader(ui_stack, ui_admin)["datasets"]
    edited = after[0]
    assert [e["id"] for e in after] == [e["id"] for e in current]  # same order, spare gone
    assert edited["repeats"] == 5 and edited["cache_dir_vae"] == current[0]["cache_dir_vae"]  # unshown keys kept
    assert Path(current[0]["instance_data_dir"]).is_dir()
