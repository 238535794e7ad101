"""The configuration wizard: the tutorial's steps in order, each checked before the next, written in one save."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.fake_hub import running_fake_hub
from simpletuner.libs.testing.stack import Account, RunningStack

HUB_TOKEN = "hf_wizard_write_token_0123456789"


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The stack talks to a fake Hugging Face Hub that knows one token."""
    with running_fake_hub(tmp_path_factory.mktemp("hub"), {HUB_TOKEN: "wizard-hf"}) as hub:
        yield {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0"}


def api(stack: RunningStack, admin: Account, method: str, path: str, **kwargs: Any) -> Any:
    with stack.http(headers=admin.headers) as http:
        reply = http.request(method, path, **kwargs)
    assert reply.is_success, f"{method} {path}: {reply.status_code} {reply.text}"
    return reply


def config_of(stack: RunningStack, admin: Account, name: str) -> tuple[dict[str, Any], str]:
    """The environment's config, parsed and as the exact text the API returns."""
    reply = api(stack, admin, "GET", f"/api/configs/{name}")
    return reply.json()["config"], reply.text


def next_step(page: Page, heading: str) -> None:
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def test_the_wizard_configures_the_tiny_demo_and_keeps_its_tiny_model(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    api(ui_stack, ui_admin, "POST", "/api/configs/environments", json={"name": "wizard-demo", "example": "tiny-demo"})
    api(ui_stack, ui_admin, "POST", "/api/configs/wizard-demo/activate")
    page = new_page(ui_admin)
    page.goto("/wizard")

    expect(page.get_by_role("heading", name="Which environment should the wizard set up?")).to_be_visible()
    expect(page.get_by_label("Edit the active environment")).to_be_checked()
    expect(page.get_by_text("wizard-demo: its current values are filled in")).to_be_visible()
    expect(page.get_by_test_id("step-start")).to_have_attribute("aria-current", "step")
    screenshots.take(page, "start")

    next_step(page, "Which model do you want to train?")
    expect(page.get_by_test_id("family-sd1x").get_by_role("radio")).to_be_checked()
    expect(page.get_by_test_id("flavour-keep").get_by_role("radio")).to_be_checked()
    expect(page.get_by_label("Model repository or folder")).to_have_value("simpletuner/tiny-sd1x")
    expect(page.get_by_test_id("flavour-1.5")).to_contain_text("stable-diffusion-v1-5/stable-diffusion-v1-5")
    expect(page.get_by_test_id("type-lora").get_by_role("radio")).to_be_checked()
    expect(page.get_by_test_id("step-start").get_by_role("button")).to_be_visible()  # done steps can be revisited
    screenshots.take(page, "model")

    next_step(page, "LoRA options")
    expect(page.get_by_test_id("quantisation-advice")).to_contain_text("Stable Diffusion-type models")
    expect(page.get_by_test_id("precision")).to_have_value("no_change")
    expect(page.get_by_test_id("precision").locator("option[value='nf4-bnb']")).to_be_disabled()
    rank = page.get_by_label("LoRA rank")
    expect(rank).to_have_value("4")
    rank.fill("0")
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_text("Enter at least 1.")).to_be_visible()
    expect(rank).to_be_focused()
    rank.fill("8")
    screenshots.take(page, "lora options")

    next_step(page, "How long do you want to train?")
    expect(page.get_by_test_id("unit-steps").get_by_role("radio")).to_be_checked()
    expect(page.get_by_label("Number of steps")).to_have_value("500")
    page.get_by_label("Number of steps").fill("300")
    page.get_by_label("Save a checkpoint every (steps)").fill("100")
    screenshots.take(page, "duration")

    next_step(page, "Share your model on the Hugging Face Hub?")
    page.get_by_label("Publish to the Hugging Face Hub").check()
    page.get_by_label("Hub repository").fill("tiny-lora")
    page.get_by_test_id("wizard-next").click()  # uploads need the user's own token: log in first
    expect(page.get_by_text("Log in to the Hub first")).to_be_visible()
    token = page.get_by_label("Hugging Face access token")
    token.fill("hf_not_a_real_token")
    page.get_by_test_id("hub-log-in").click()
    expect(page.get_by_test_id("hub-login")).to_contain_text("the Hub refused this token")
    token.fill(HUB_TOKEN)
    page.get_by_test_id("hub-log-in").click()
    expect(page.get_by_test_id("hub-logged-in")).to_contain_text("Logged in to the Hub as wizard-hf.")
    expect(page.get_by_text("Log in to the Hub first")).to_be_hidden()
    expect(page.get_by_text("A name without an owner is created under wizard-hf")).to_be_visible()
    expect(page.get_by_label("Private repo")).to_be_checked()
    page.get_by_label("Also publish intermediate checkpoints").check()
    screenshots.take(page, "hub")

    next_step(page, "Validation images")
    page.get_by_label("Validation prompt").fill("a blue square on a white background")
    page.get_by_label("Render every (steps)").fill("50")
    page.get_by_label("Validation Method").select_option("external-script")
    expect(page.get_by_test_id("external-validation")).to_contain_text("{local_checkpoint_path}")
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_text("Give the command to run")).to_be_visible()
    page.get_by_label("External validation script").fill("/usr/bin/true {global_step} {validation_guidance}")
    page.get_by_label("Run it in the background").check()
    screenshots.take(page, "validation")

    next_step(page, "Where should training statistics go?")
    expect(page.get_by_text("is in your hands")).to_be_visible()
    expect(page.get_by_test_id("tracker-wandb").get_by_role("radio")).to_be_disabled()
    page.get_by_test_id("tracker-simpletuner").click()
    screenshots.take(page, "tracking")

    next_step(page, "Datasets")
    expect(page.get_by_test_id("dataset-list")).to_be_visible()
    expect(page.get_by_test_id("dataset-list").locator("tbody tr")).not_to_have_count(0)
    screenshots.take(page, "datasets")
    page.get_by_test_id("create-dataset").click()  # the dataset wizard opens for this environment
    dialog = page.get_by_test_id("dataset-wizard")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("wizard-demo")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # a dataset the dataset wizard writes shows up here when it announces it
    loader = api(ui_stack, ui_admin, "GET", "/api/configs/wizard-demo/dataloader").json()
    extra = {**loader["datasets"][0], "id": "wizard-extra", "cache_dir_vae": "cache/vae/wizard-extra"}
    api(
        ui_stack,
        ui_admin,
        "PUT",
        "/api/configs/wizard-demo/dataloader",
        json={"datasets": [*loader["datasets"], extra]},
    )
    detail = {"environment": "wizard-demo", "dataset": extra}
    page.evaluate("detail => window.dispatchEvent(new CustomEvent('dataset-configured', {detail}))", detail)
    expect(page.get_by_test_id("dataset-list")).to_contain_text("wizard-extra")
    page.get_by_test_id("keep-datasets").click()

    expect(page.get_by_role("heading", name="Learning rate, batch size and optimizer")).to_be_visible()
    expect(page.get_by_test_id("preset-manual").get_by_role("radio")).to_be_checked()
    page.get_by_test_id("preset-balanced").click()
    expect(page.get_by_role("spinbutton", name="Batch size")).to_have_value("2")
    expect(page.get_by_role("spinbutton", name="Gradient accumulation")).to_have_value("2")
    expect(page.get_by_test_id("effective-batch")).to_contain_text("2 × 1 × 2")
    expect(page.get_by_test_id("effective-batch").locator(".stat-value")).to_have_text("4")
    screenshots.take(page, "learning rate")

    next_step(page, "Review and save")
    changes = page.get_by_test_id("review-changes")
    expect(changes.get_by_test_id("change-lora_rank")).to_contain_text("8")
    expect(changes.get_by_test_id("change-max_train_steps")).to_contain_text("300")
    expect(changes.get_by_test_id("change-validation_prompt")).to_contain_text("a blue square")
    expect(changes.get_by_test_id("change-pretrained_model_name_or_path")).to_have_count(0)
    expect(page.get_by_test_id("review-valid")).to_be_visible()
    screenshots.take(page, "review")

    page.get_by_test_id("wizard-next").click()
    expect(page).to_have_url("/")
    expect(page.get_by_text("wizard-demo is saved and selected: ready to train.")).to_be_visible()
    screenshots.take(page, "finished")

    config, text = config_of(ui_stack, ui_admin, "wizard-demo")
    assert config["--pretrained_model_name_or_path"] == "simpletuner/tiny-sd1x"
    assert config["--model_family"] == "sd1x" and "--model_flavour" not in config
    assert config["--lora_rank"] == 8
    assert (config["--max_train_steps"], config["--num_train_epochs"]) == (300, 0)
    assert config["--checkpointing_steps"] == 100
    assert (config["--push_to_hub"], config["--hub_model_id"], config["--model_card_private"]) == (
        True,
        "tiny-lora",
        True,
    )
    assert config["--push_checkpoints_to_hub"] is True
    assert HUB_TOKEN not in text  # the token stays with the auth service, never in a config
    assert config["--validation_prompt"] == "a blue square on a white background"
    assert config["--validation_steps"] == 50
    assert config["--validation_method"] == "external-script"
    assert config["--validation_external_script"] == "/usr/bin/true {global_step} {validation_guidance}"
    assert config["--validation_external_background"] is True
    assert config["--report_to"] == "simpletuner"
    assert config["--learning_rate"] == 1e-4 and config["--optimizer"] == "adamw_bf16"
    assert (config["--train_batch_size"], config["--gradient_accumulation_steps"]) == (2, 2)
    assert all(key.startswith("--") for key in config), "the wizard kept the file's --key spelling"
    # what the wizard did not touch stays exactly as written, numbers included
    assert '"--lora_dropout": 0.0' in text and '"--validation_guidance": 4.0' in text
    assert config["--data_backend_config"] == "wizard-demo/multidatabackend.json"
    assert api(ui_stack, ui_admin, "GET", "/api/configs/active").json()["name"] == "wizard-demo"


def test_the_wizard_creates_a_new_environment_with_the_flavours_settings(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page(ui_admin)
    page.goto("/wizard")
    expect(page.get_by_role("heading", name="Which environment should the wizard set up?")).to_be_visible()
    page.get_by_label("Create a new environment").check()
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_text("Give the new environment a name.")).to_be_visible()
    page.get_by_label("Name of the new environment").fill("bad name!")
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_text("Use letters, digits, dots, dashes and underscores")).to_be_visible()
    page.get_by_label("Name of the new environment").fill("wizard-flux")
    screenshots.take(page, "new environment")
    page.get_by_label("Name of the new environment").press("Enter")  # the keyboard moves on as Next does
    model_heading = page.get_by_role("heading", name="Which model do you want to train?")
    expect(model_heading).to_be_focused()
    page.get_by_test_id("family-flux").click()
    expect(page.get_by_test_id("flavour-dev").get_by_role("radio")).to_be_checked()
    expect(page.get_by_label("Model repository or folder")).to_have_value("black-forest-labs/FLUX.1-dev")
    page.get_by_test_id("flavour-schnell").click()
    expect(page.get_by_label("Model repository or folder")).to_have_value("black-forest-labs/FLUX.1-schnell")
    expect(page.get_by_test_id("flavour-schnell")).to_contain_text("validation_num_inference_steps=4")
    screenshots.take(page, "flux flavours")

    next_step(page, "LoRA options")
    expect(page.get_by_test_id("precision")).to_have_value("int8-quanto")
    expect(page.get_by_test_id("quantisation-advice")).to_contain_text("int8-quanto is recommended")
    screenshots.take(page, "flux lora options")
    next_step(page, "How long do you want to train?")  # the environment exists from here on, with the right files
    expect(page.get_by_text("Environment wizard-flux created")).to_be_visible()
    expect(page.get_by_test_id("env-switcher").locator("option", has_text="wizard-flux")).to_have_count(1)
    for heading in (
        "Share your model on the Hugging Face Hub?",
        "Validation images",
        "Where should training statistics go?",
        "Datasets",
        "Learning rate, batch size and optimizer",
    ):
        next_step(page, heading)
    page.get_by_test_id("preset-conservative").click()
    next_step(page, "Review and save")
    expect(page.get_by_test_id("review-changes").get_by_test_id("change-learning_rate")).to_contain_text("0.00005")
    expect(page.get_by_test_id("review-valid")).to_be_visible()
    screenshots.take(page, "flux review")
    page.get_by_test_id("wizard-next").click()
    expect(page).to_have_url("/")

    config, _ = config_of(ui_stack, ui_admin, "wizard-flux")
    assert config["--model_family"] == "flux" and config["--model_flavour"] == "schnell"
    assert config["--pretrained_model_name_or_path"] == "black-forest-labs/FLUX.1-schnell"
    assert config["--validation_num_inference_steps"] == 4 and config["--resolution"] == 1024
    assert config["--base_model_precision"] == "int8-quanto"
    assert config["--learning_rate"] == 5e-5 and config["--lr_scheduler"] == "cosine"
    assert (config["--num_train_epochs"], config["--max_train_steps"]) == (1, 0)  # both counts written out
    assert api(ui_stack, ui_admin, "GET", "/api/configs/active").json()["name"] == "wizard-flux"


def test_a_full_rank_run_gets_the_deepspeed_choice_and_the_wizard_fits_a_phone(
    ui_stack: RunningStack, ui_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    api(ui_stack, ui_admin, "POST", "/api/configs/environments", json={"name": "wizard-phone", "example": "tiny-demo"})
    api(ui_stack, ui_admin, "POST", "/api/configs/wizard-phone/activate")
    page = new_page(ui_admin, width=390, height=844)
    page.goto("/wizard")
    expect(page.get_by_role("heading", name="Which environment should the wizard set up?")).to_be_visible()
    screenshots.take(page, "phone start")
    next_step(page, "Which model do you want to train?")
    next_step(page, "LoRA options")
    page.get_by_text("LyCORIS", exact=True).click()
    expect(page.get_by_test_id("lycoris-missing")).to_contain_text("no lycoris_config.json yet")
    expect(page.get_by_label("LoRA rank")).to_be_hidden()  # LyCORIS reads its dimensions from its own config
    screenshots.take(page, "phone lycoris")
    page.get_by_role("button", name="Back", exact=True).click()
    page.get_by_test_id("type-full").click()
    screenshots.take(page, "phone model")
    next_step(page, "Full-rank training")
    expect(page.get_by_test_id("full-rank-warning")).to_contain_text("Full-rank training is discouraged")
    expect(page.get_by_text("FSDP2 is supported, but not configurable in this wizard")).to_be_visible()
    stage = page.get_by_test_id("deepspeed-stage")
    expect(stage.locator("option[value='3']")).to_be_disabled()
    stage.select_option("2")
    screenshots.take(page, "phone full rank")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    page.get_by_role("button", name="Back to step 2: Model").click()
    expect(page.get_by_role("heading", name="Which model do you want to train?")).to_be_visible()
    expect(page.get_by_test_id("type-full").get_by_role("radio")).to_be_checked()
    next_step(page, "Full-rank training")
    expect(page.get_by_test_id("deepspeed-stage")).to_have_value("2")  # answers survive going back
