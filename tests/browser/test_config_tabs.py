"""The Configuration page: tabs and fields generated from the options catalogue, editing the active environment,
inline validation by the server, and the memory presets of the Training tab."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_account
from simpletuner.services.gateway.web import pages

ENVIRONMENT = "config-demo"
SECOND_ENVIRONMENT = "config-other"
TAB_LABELS = {
    "model": "Model",
    "training": "Training",
    "datasets": "Datasets",
    "validation": "Validations & Output",
    "publishing": "Publishing",
    "advanced": "Advanced",
}
UNKNOWN_KEY = "--my_team_note"
CHECKED = re.compile(r"valid|problem")
PHONE = {"width": 390, "height": 844}


def api(stack: RunningStack, admin: Account, method: str, path: str, **kwargs: Any) -> Any:
    with stack.http(headers=admin.headers) as http:
        reply = http.request(method, path, **kwargs)
    assert reply.is_success, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply.json()


def stored_config(stack: RunningStack, admin: Account) -> dict[str, Any]:
    config: dict[str, Any] = api(stack, admin, "GET", f"/api/configs/{ENVIRONMENT}")["config"]
    return config


@pytest.fixture(scope="module")
def demo(ui_stack: RunningStack, ui_admin: Account) -> str:
    """The admin's active environment, made from the tiny-demo example, with one key the catalogue lacks."""
    for name in (SECOND_ENVIRONMENT, ENVIRONMENT):
        api(ui_stack, ui_admin, "POST", "/api/configs/environments", json={"name": name, "example": "tiny-demo"})
    config = stored_config(ui_stack, ui_admin) | {UNKNOWN_KEY: "kept as written"}
    api(ui_stack, ui_admin, "PUT", f"/api/configs/{ENVIRONMENT}", json={"config": config})
    api(ui_stack, ui_admin, "POST", f"/api/configs/{ENVIRONMENT}/activate")
    return ENVIRONMENT


def catalogue_counts(stack: RunningStack, admin: Account, family: str) -> dict[str, int]:
    """How many options of each tab apply to `family`, by the API's catalogue."""
    fields = api(stack, admin, "GET", "/api/fields/metadata")["fields"]
    counts: dict[str, int] = {}
    for tab in api(stack, admin, "GET", "/api/fields/tabs"):
        names = [name for group in tab["groups"] for name in group["fields"]]
        counts[tab["name"]] = sum(1 for n in names if not fields[n]["families"] or family in fields[n]["families"])
    return counts


def field(page: Page, name: str) -> Locator:
    return page.locator(f'[data-testid="config-field"][data-field="{name}"]')


def open_config(new_page: Callable[..., Page], admin: Account, tab: str = "", **size: int) -> Page:
    page = new_page(admin, **size)
    page.goto(f"/config?tab={tab}" if tab else "/config")
    expect(page.get_by_test_id("config-environment")).to_have_text(ENVIRONMENT)
    expect(page.get_by_test_id("config-status")).to_have_text(CHECKED)  # the first check has answered
    return page


def test_every_catalogue_tab_renders_the_fields_of_the_environments_family(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    counts = catalogue_counts(ui_stack, ui_admin, "sd1x")
    page = open_config(new_page, ui_admin)
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(list(TAB_LABELS.values()))
    for tab_id, label in TAB_LABELS.items():
        page.get_by_role("tab", name=label, exact=True).click()
        expect(page).to_have_url(f"/config?tab={tab_id}")
        expect(page.get_by_role("tab", name=label, exact=True)).to_have_attribute("aria-selected", "true")
        panel = page.get_by_test_id(f"panel-{tab_id}")
        expect(panel.locator('[data-testid="config-field"]:visible')).to_have_count(counts.get(tab_id, 0))
        screenshots.take(page, f"tab {tab_id}")
    page.get_by_role("tab", name="Publishing").click()  # the seeds: log in to the Hub here or in the wizard
    expect(page.get_by_test_id("hub-card").get_by_label("Hugging Face access token")).to_be_visible()
    expect(page.get_by_test_id("hub-log-in")).to_be_enabled()
    page.get_by_role("tab", name="Datasets").click()
    expect(page.get_by_test_id("dataloaders")).to_contain_text(f"{ENVIRONMENT}/multidatabackend.json")
    expect(page.get_by_test_id("dataloaders")).to_contain_text("tiny-demo-shapes")
    wizard_installed = (pages.WEB_DIR / "templates" / "partials" / "dataset_wizard.html").exists()
    expect(page.get_by_role("button", name="Add a dataset…")).to_have_count(1 if wizard_installed else 0)
    if wizard_installed:
        page.get_by_role("button", name="Add a dataset…").click()
        expect(page.get_by_test_id("dataset-wizard")).to_be_visible()
        screenshots.take(page, "dataset wizard opened")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("dataset-wizard")).to_be_hidden()
    page.goto("/config?tab=model")
    flux_only = field(page, "flux_lora_target")
    expect(flux_only).to_be_hidden()
    page.get_by_label("Show options for other model families", exact=True).check()
    expect(flux_only).to_be_visible()
    expect(flux_only).to_contain_text("Only for flux; this environment trains sd1x.")
    expect(field(page, "lora_rank").get_by_label("Lora rank", exact=True)).to_have_value("4")
    expect(field(page, "lora_rank").get_by_test_id("modified")).to_be_visible()  # 4 is not the default 16
    expect(field(page, "lora_dropout").get_by_label("Lora dropout", exact=True)).to_have_attribute("placeholder", "0.1")
    screenshots.take(page, "other families shown dimmed")


def test_the_search_box_finds_options_across_tabs(
    ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_config(new_page, ui_admin)
    page.get_by_label("Search options", exact=True).fill("learning rate")
    expect(field(page, "learning_rate")).to_be_visible()
    expect(field(page, "text_encoder_lr")).to_be_visible()
    expect(field(page, "lora_rank")).to_be_hidden()
    expect(page.get_by_test_id("config-search-count")).to_contain_text("match")
    screenshots.take(page, "search")


def test_an_edited_value_is_saved_keeping_unknown_keys_and_the_key_spelling(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_config(new_page, ui_admin, "model")
    rank = field(page, "lora_rank")
    rank.get_by_label("Lora rank", exact=True).fill("8")
    rank.get_by_label("Lora rank", exact=True).blur()
    expect(rank.get_by_test_id("unsaved")).to_be_visible()
    screenshots.take(page, "edited")
    page.get_by_test_id("config-save").click()
    expect(page.locator(".toast").filter(has_text=f"Saved {ENVIRONMENT}")).to_be_visible()
    expect(rank.get_by_test_id("unsaved")).to_be_hidden()
    config = stored_config(ui_stack, ui_admin)
    assert config["--lora_rank"] == 8 and "lora_rank" not in config
    assert config[UNKNOWN_KEY] == "kept as written"
    assert config["--learning_rate"] == 1e-3  # untouched options keep their values
    screenshots.take(page, "saved")


def test_an_invalid_value_shows_its_error_next_to_the_field_and_is_not_saved(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = open_config(new_page, ui_admin, "training")
    batch = field(page, "train_batch_size")
    batch.get_by_label("Train batch size", exact=True).fill("0")
    batch.get_by_label("Train batch size", exact=True).blur()
    expect(batch.get_by_test_id("field-error")).to_have_text("must be at least 1 (got 0)")
    expect(batch.get_by_label("Train batch size", exact=True)).to_have_attribute("aria-invalid", "true")
    screenshots.take(page, "inline error")
    page.get_by_test_id("config-save").click()
    expect(page.get_by_test_id("config-save-error")).to_contain_text("--train_batch_size")
    assert stored_config(ui_stack, ui_admin)["--train_batch_size"] == 2
    batch.get_by_label("Train batch size", exact=True).fill("3")
    batch.get_by_label("Train batch size", exact=True).blur()
    expect(batch.get_by_test_id("field-error")).to_be_hidden()
    screenshots.take(page, "error fixed")


def test_load_presets_shows_what_balanced_sets_and_applying_it_fills_the_form_until_saved(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    presets = api(ui_stack, ui_admin, "GET", "/api/models/sd1x/acceleration-presets")["presets"]
    balanced = next(p for p in presets if p["name"] == "balanced")["settings"]
    page = open_config(new_page, ui_admin, "training")
    page.get_by_role("button", name="Load Presets").click()
    dialog = page.get_by_role("dialog", name="Memory presets for sd1x")
    expect(dialog).to_be_visible()
    for name in ("light", "balanced", "aggressive"):
        expect(dialog.get_by_test_id(f"preset-{name}")).to_be_visible()
    card = dialog.get_by_test_id("preset-balanced")
    expect(card.locator("tbody tr")).to_have_count(len(balanced))
    optimizer_row = card.locator("tr").filter(has_text="--optimizer")
    expect(optimizer_row).to_contain_text("adamw")  # the current value
    expect(optimizer_row).to_contain_text("adamw8bit")
    screenshots.take(page, "presets dialog")
    card.get_by_role("button", name="Apply Balanced").click()
    expect(dialog).to_be_hidden()
    expect(field(page, "gradient_checkpointing").get_by_label("Gradient checkpointing", exact=True)).to_be_checked()
    expect(field(page, "optimizer").get_by_label("Optimizer", exact=True)).to_have_value("adamw8bit")
    expect(field(page, "optimizer").get_by_test_id("unsaved")).to_be_visible()
    assert stored_config(ui_stack, ui_admin)["--optimizer"] == "adamw"  # nothing saved yet
    screenshots.take(page, "balanced applied")
    page.get_by_test_id("config-save").click()
    expect(page.locator(".toast").filter(has_text=f"Saved {ENVIRONMENT}")).to_be_visible()
    config = stored_config(ui_stack, ui_admin)
    defaults = {
        name: spec["default"] for name, spec in api(ui_stack, ui_admin, "GET", "/api/fields/metadata")["fields"].items()
    }
    for name, value in balanced.items():  # options already at the preset's value stay as they were
        assert config.get(f"--{name}", defaults[name]) == value, name
    assert config["--gradient_checkpointing"] is True and config["--optimizer"] == "adamw8bit"
    screenshots.take(page, "balanced saved")


def test_the_page_works_at_a_phone_width(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    counts = catalogue_counts(ui_stack, ui_admin, "sd1x")
    page = open_config(new_page, ui_admin, "training", **PHONE)
    panel = page.get_by_test_id("panel-training")
    expect(panel.locator('[data-testid="config-field"]:visible')).to_have_count(counts["training"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    screenshots.take(page, "phone training tab")
    steps = field(page, "lr_warmup_steps").get_by_label("Lr warmup steps", exact=True)
    steps.fill("-5")
    steps.blur()
    expect(field(page, "lr_warmup_steps").get_by_test_id("field-error")).to_contain_text("at least 0")
    expect(page.get_by_role("region", name="Unsaved changes")).to_be_visible()
    screenshots.take(page, "phone inline error")
    steps.fill("10")
    steps.blur()
    expect(page.get_by_role("region", name="Unsaved changes")).to_be_hidden()
    page.get_by_role("button", name="Load Presets").click()
    dialog = page.get_by_role("dialog", name="Memory presets for sd1x")
    expect(dialog.get_by_test_id("preset-aggressive")).to_be_visible()
    screenshots.take(page, "phone presets dialog")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("tab", name="Datasets").click()
    expect(page.get_by_test_id("dataloaders")).to_be_visible()
    screenshots.take(page, "phone datasets tab")


def test_switching_the_environment_in_the_header_reloads_the_form(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page]
) -> None:
    page = open_config(new_page, ui_admin, "model")
    page.get_by_test_id("env-switcher").select_option(SECOND_ENVIRONMENT)
    expect(page.get_by_test_id("config-environment")).to_have_text(SECOND_ENVIRONMENT)
    expect(field(page, "lora_rank").get_by_label("Lora rank", exact=True)).to_have_value("4")
    page.get_by_test_id("env-switcher").select_option(ENVIRONMENT)
    expect(page.get_by_test_id("config-environment")).to_have_text(ENVIRONMENT)


def test_options_needing_a_permission_the_user_lacks_are_read_only_with_a_note(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    researcher = create_account(ui_stack, ui_admin, "rita-config", ["researcher"])
    api(ui_stack, researcher, "POST", "/api/configs/environments", json={"name": "rita-demo", "example": "tiny-demo"})
    api(ui_stack, researcher, "POST", "/api/configs/rita-demo/activate")
    page = new_page(researcher)
    page.goto("/config?tab=advanced")
    expect(page.get_by_test_id("config-environment")).to_have_text("rita-demo")
    hook = field(page, "post_checkpoint_script")
    expect(hook.get_by_label("Post checkpoint script", exact=True)).not_to_be_editable()
    expect(hook).to_contain_text("Read-only: changing it needs the admin.config permission.")
    expect(field(page, "max_workers").get_by_label("Max workers", exact=True)).to_be_editable()
    screenshots.take(page, "researcher advanced tab")


def test_a_viewer_is_told_why_they_cannot_log_in_to_the_hub(
    ui_stack: RunningStack, ui_admin: Account, demo: str, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    viewer = create_account(ui_stack, ui_admin, "vera-config", ["viewer"])
    page = new_page(viewer)
    page.goto("/config")
    activated = page.request.post(f"/api/configs/{demo}/activate", headers={"Origin": ui_stack.url})
    assert activated.ok, activated.text()
    page.goto("/config?tab=publishing")
    card = page.get_by_test_id("hub-card")
    expect(card).to_contain_text("needs the job.submit permission")
    expect(card.get_by_label("Hugging Face access token")).to_have_count(0)
    screenshots.take(page, "viewer publishing tab")
