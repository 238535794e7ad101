"""The seeds' web-UI tutorial end to end in a real browser, on a server nobody has set up: create the
administrator, onboarding, the wizard over the tiny-demo example, a dataset uploaded as a ZIP, then a
training run watched live (progress, a loss chart point, a validation image) and stopped.

Every step leaves a screenshot under test-artifacts/browser/test_tutorial_walk/; the walk's duration is
written next to them (walk-seconds.txt) and printed.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import RunningStack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

UI_MS = 30_000
TRAINING_MS = 240_000  # a tiny run on a busy 2-core machine: start-up (model build, caches) then steps
ENVIRONMENT = "tiny-demo"
DATASET = "my-shapes"


# A server of its own that nobody has set up yet (the walk does not use ui_admin).
STACK_ENV = {"OMP_NUM_THREADS": "1"}


def shapes_zip() -> bytes:
    """Eight 96-px images (never smaller than the 64-px resolution: nothing is upscaled), each captioned."""
    buffer = io.BytesIO()
    colours = ("red", "green", "blue", "yellow", "purple", "orange", "black", "cyan")
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, colour in enumerate(colours):
            image = Image.new("RGB", (96, 96), "white")
            image.paste(Image.new("RGB", (48, 48), colour), (24, 24))
            png = io.BytesIO()
            image.save(png, format="PNG")
            archive.writestr(f"{colour}-square-{index}.png", png.getvalue())
            archive.writestr(f"{colour}-square-{index}.txt", f"a {colour} square on a white background")
    return buffer.getvalue()


def setup_and_onboarding(page: Page, shots: Screenshots) -> None:
    page.goto("/")
    expect(page).to_have_url("/setup?next=/")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("your-secure-password")
    shots.take(page, "setup the first administrator")
    page.get_by_role("button", name="Create administrator").click()

    expect(page).to_have_url("/onboarding")
    expect(page.get_by_role("heading", name="Where your environments live")).to_be_visible()
    shots.take(page, "onboarding configs dir")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Datasets and outputs")).to_be_visible()
    shots.take(page, "onboarding datasets and outputs")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="GPUs")).to_be_visible()
    expect(page.get_by_text("No GPU was found on this machine: training runs on the CPU.")).to_be_visible()
    shots.take(page, "onboarding gpus")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Create your first environment")).to_be_visible()
    page.get_by_test_id("example-tiny-demo").click()  # Bootstrap From Example
    expect(page.get_by_label("Environment name")).to_have_value(ENVIRONMENT)
    shots.take(page, "onboarding bootstrap from example")
    page.get_by_role("button", name="Create and finish").click()
    expect(page).to_have_url("/")
    expect(page.get_by_test_id("env-switcher")).to_have_value(ENVIRONMENT)
    shots.take(page, "environment active after onboarding")


def wizard_next(page: Page, heading: str) -> None:
    page.get_by_test_id("wizard-next").click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def upload_dataset_in_the_dataset_wizard(page: Page, shots: Screenshots) -> None:
    page.get_by_test_id("create-dataset").click()
    wizard = page.get_by_test_id("dataset-wizard")
    expect(wizard.get_by_role("heading", name="Add a dataset")).to_be_visible()
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_role("heading", name="Dataset folder")).to_be_visible()
    wizard.get_by_role("button", name="Upload").click()
    upload = page.get_by_test_id("dataset-upload")
    upload.get_by_label("New folder name").fill(DATASET)
    upload.get_by_role("radio", name="A ZIP archive").check()
    upload.get_by_label("ZIP archive", exact=True).set_input_files(
        {"name": "shapes.zip", "mimeType": "application/zip", "buffer": shapes_zip()}
    )
    shots.take(page, "dataset wizard upload a zip")
    upload.get_by_role("button", name="Upload").click()
    expect(wizard.get_by_test_id("wizard-image-count")).to_have_text("8 images", timeout=UI_MS)
    shots.take(page, "dataset wizard uploaded folder selected")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_label("Dataset id")).to_have_value(DATASET)
    expect(wizard.get_by_label("Resolution", exact=True)).to_have_value("64")
    wizard.get_by_label("Crop images to the resolution").check()
    shots.take(page, "dataset wizard resolution and crop")
    wizard.get_by_role("button", name="Next").click()
    wizard.get_by_role("radio", name="Text files").check()
    shots.take(page, "dataset wizard captions")
    wizard.get_by_role("button", name="Next").click()
    expect(wizard.get_by_role("heading", name="Review")).to_be_visible()
    wizard.get_by_role("button", name="Save dataset").click()
    expect(wizard).to_be_hidden()
    expect(page.get_by_test_id("dataset-list")).to_contain_text(DATASET)


def configuration_wizard(page: Page, shots: Screenshots) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Wizard").click()
    expect(page.get_by_label("Edit the active environment")).to_be_checked()
    shots.take(page, "wizard start")
    wizard_next(page, "Which model do you want to train?")
    expect(page.get_by_label("Model repository or folder")).to_have_value("simpletuner/tiny-sd1x")
    shots.take(page, "wizard model family and flavour")
    wizard_next(page, "LoRA options")
    shots.take(page, "wizard lora options")
    wizard_next(page, "How long do you want to train?")
    page.get_by_label("Number of steps").fill("3000")  # longer than the walk: it is stopped by hand
    page.get_by_label("Save a checkpoint every (steps)").fill("1000")
    shots.take(page, "wizard duration")
    wizard_next(page, "Share your model on the Hugging Face Hub?")
    shots.take(page, "wizard hub publishing")
    wizard_next(page, "Validation images")
    page.get_by_label("Validation prompt").fill("a green square on a white background")
    page.get_by_label("Render every (steps)").fill("1000")  # the walk asks for one with Validate now
    shots.take(page, "wizard validation")
    wizard_next(page, "Where should training statistics go?")
    shots.take(page, "wizard trackers")
    wizard_next(page, "Datasets")
    shots.take(page, "wizard datasets")
    upload_dataset_in_the_dataset_wizard(page, shots)
    shots.take(page, "wizard datasets with the uploaded one")
    page.get_by_test_id("keep-datasets").click()
    expect(page.get_by_role("heading", name="Learning rate, batch size and optimizer")).to_be_visible()
    shots.take(page, "wizard learning rate batch size optimizer")
    wizard_next(page, "Review and save")
    expect(page.get_by_test_id("review-valid")).to_be_visible(timeout=UI_MS)
    shots.take(page, "wizard review")
    page.get_by_test_id("wizard-next").click()  # Finish
    expect(page).to_have_url("/")
    expect(page.get_by_text(f"{ENVIRONMENT} is saved and selected: ready to train.")).to_be_visible()
    shots.take(page, "wizard finished environment ready")


def train_watch_and_stop(page: Page, shots: Screenshots) -> None:
    page.get_by_role("button", name="Start training").click()
    status = page.get_by_test_id("status")
    expect(status).to_have_attribute("data-status", re.compile("starting|running"), timeout=UI_MS)
    shots.take(page, "training starting")
    expect(status).to_have_attribute("data-status", "running", timeout=TRAINING_MS)
    expect(page.get_by_test_id("progress")).not_to_have_attribute("aria-valuenow", "0", timeout=TRAINING_MS)
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-points", re.compile(r"^[1-9]"), timeout=UI_MS)
    shots.take(page, "training progress and loss chart")
    page.get_by_role("button", name="Validate now").click()
    expect(page.get_by_test_id("gallery-item").first).to_be_visible(timeout=TRAINING_MS)
    shots.take(page, "validation image arrived")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(status).to_have_attribute("data-status", "stopped", timeout=TRAINING_MS)
    expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=UI_MS)
    shots.take(page, "training stopped")


def test_the_tutorial_walks_from_a_fresh_server_to_a_stopped_training_run(
    ui_stack: RunningStack, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    started = time.monotonic()
    page = new_page()
    setup_and_onboarding(page, screenshots)
    configuration_wizard(page, screenshots)
    train_watch_and_stop(page, screenshots)
    seconds = time.monotonic() - started

    loader = page.request.get(f"/api/configs/{ENVIRONMENT}/dataloader").json()
    uploaded = next(entry for entry in loader["datasets"] if entry["id"] == DATASET)
    assert uploaded["caption_strategy"] == "textfile" and uploaded["crop"] is True
    config = page.request.get(f"/api/configs/{ENVIRONMENT}").json()["config"]
    assert config["--max_train_steps"] == 3000
    assert config["--validation_prompt"] == "a green square on a white background"
    runs = page.request.get("/api/training/runs").json()["runs"]
    assert [run["status"] for run in runs] == ["stopped"], "the one run the page started, stopped"

    screenshots.folder.mkdir(parents=True, exist_ok=True)
    (screenshots.folder / "walk-seconds.txt").write_text(f"{seconds:.1f}\n")
    names = "\n".join(f"  {path.name}" for path in screenshots.taken)
    print(f"\ntutorial walk: {seconds:.1f} s, {len(screenshots.taken)} screenshots:\n{names}")
