"""First-run onboarding in the browser, from a server nobody has set up: the administrator is created, then
answers the seeds' questions one step at a time and ends on an active environment bootstrapped from tiny-demo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from simpletuner.libs.testing.browser import Screenshots
from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, database_env, running_stack

PHONE = {"width": 390, "height": 844}
USERNAME, PASSWORD = "first-admin", "first-admin-password"


# A server of its own, never set up (no administrator yet), with two declared GPUs to choose from.
STACK_ENV = {"SIMPLETUNER_TRAINER_GPUS": "2xA100:40"}


def create_administrator(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url("/setup?next=/")
    page.get_by_label("E-mail").fill("first@example.com")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    expect(page).to_have_url("/onboarding")


def test_a_fresh_server_walks_the_administrator_through_onboarding_to_an_active_tiny_demo(
    ui_stack: RunningStack, new_page: Callable[..., Page], screenshots: Screenshots, tmp_path: Path
) -> None:
    page = new_page()
    create_administrator(page)
    expect(page.get_by_role("heading", name="Welcome to SimpleTuner")).to_be_visible()

    # 1. configs_dir: a relative path is refused next to the field, the default is accepted
    configs = page.get_by_label("Configuration folder (configs_dir)")
    expect(configs).to_have_value(str((ui_stack.workspace / "configs").resolve()))
    screenshots.take(page, "configs dir")
    configs.fill("my-configs")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("step-configs").locator(".field-error")).to_contain_text("must be an absolute path")
    screenshots.take(page, "configs dir refused")
    page.get_by_test_id("step-configs").get_by_role("button", name="Use default").click()
    page.get_by_role("button", name="Continue").click()

    # 2. datasets and outputs: datasets moved to a roomier disk
    expect(page.get_by_role("heading", name="Datasets and outputs")).to_be_visible()
    expect(page.get_by_test_id("step-notice")).to_contain_text("holds none yet")
    datasets = tmp_path / "big-disk" / "datasets"
    page.get_by_label("Datasets folder").fill(str(datasets))
    screenshots.take(page, "datasets and outputs")
    page.get_by_role("button", name="Continue").click()

    # 3. GPUs: only the second one, with the multi-GPU note and the effective batch formula
    expect(page.get_by_role("heading", name="GPUs")).to_be_visible()
    formula = "effective_batch_size = train_batch_size × num_gpus × gradient_accumulation_steps"
    expect(page.get_by_text(formula)).to_be_visible()
    first_gpu = page.get_by_test_id("gpu-0").get_by_role("checkbox")
    expect(first_gpu).to_be_checked()
    first_gpu.uncheck()
    expect(page.get_by_test_id("step-gpus")).to_contain_text("each step needs 4 images")
    screenshots.take(page, "gpus")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Datasets folder")).to_have_value(str(datasets.resolve()))
    expect(page.get_by_role("heading", name="Datasets and outputs")).to_be_focused()  # the step has been entered
    page.get_by_role("button", name="Continue").click()
    page.get_by_test_id("gpu-0").get_by_role("checkbox").uncheck()
    page.get_by_role("button", name="Continue").click()

    # 4. the first environment, bootstrapped from the tiny-demo example
    expect(page.get_by_role("heading", name="Create your first environment")).to_be_visible()
    expect(page.get_by_test_id("example-tiny-demo")).to_contain_text("No downloads")
    page.get_by_test_id("example-tiny-demo").click()
    expect(page.get_by_label("Environment name")).to_have_value("tiny-demo")
    screenshots.take(page, "first environment")
    page.get_by_role("button", name="Create and finish").click()

    expect(page).to_have_url("/")
    expect(page.get_by_test_id("env-switcher")).to_have_value("tiny-demo")
    screenshots.take(page, "training page with the new environment active")

    configs_list = page.request.get("/api/configs/").json()
    assert configs_list["active"] == "tiny-demo"
    assert page.request.get("/api/configs/default").json()["config"]["--accelerate_visible_devices"] == "1"
    demo = page.request.get("/api/configs/tiny-demo").json()
    assert demo["config"]["--output_dir"] == "output/tiny-demo"
    assert any((datasets / "tiny-demo").glob("*.png")), "the example's dataset is drawn in the chosen datasets folder"
    state = page.request.get("/api/webui/state").json()
    assert state["onboarding"]["complete"] is True
    page.goto("/queue")
    expect(page).to_have_url("/queue")  # no longer sent to onboarding


@pytest.fixture
def onboarded_admin(ui_stack: RunningStack) -> Account:
    """The administrator after onboarding, with a tiny-demo environment (made here when run alone)."""
    with ui_stack.http(headers={"Sec-Fetch-Site": "same-origin"}) as http:  # cookie writes come from our origin
        if http.get("/api/auth/setup/status").json().get("needs_setup"):
            create_first_admin(ui_stack, USERNAME, PASSWORD)
        http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD}).raise_for_status()
        if "tiny-demo" not in [c["name"] for c in http.get("/api/configs/").json()["configs"]]:
            http.post("/api/configs/environments", json={"name": "tiny-demo", "example": "tiny-demo"})
        http.post("/api/webui/onboarding/complete").raise_for_status()
    return Account("", USERNAME, PASSWORD, "")


def test_onboarding_can_run_again_and_fits_a_phone(
    onboarded_admin: Account, new_page: Callable[..., Page], screenshots: Screenshots
) -> None:
    page = new_page(onboarded_admin, width=PHONE["width"], height=PHONE["height"])
    page.goto("/onboarding")
    expect(page.get_by_test_id("onboarding-complete")).to_be_visible()
    screenshots.take(page, "phone complete")
    page.get_by_role("button", name="Run onboarding again").click()
    expect(page.get_by_role("heading", name="Where your environments live")).to_be_visible()
    page.goto("/queue")
    expect(page).to_have_url("/onboarding")  # sent back until it is done again
    screenshots.take(page, "phone configs dir")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Datasets and outputs")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="GPUs")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Your environments")).to_be_visible()
    expect(page.get_by_role("radio", name="tiny-demo")).to_be_checked()
    screenshots.take(page, "phone existing environments")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    page.get_by_role("button", name="Activate and finish").click()
    expect(page).to_have_url("/")


@pytest.fixture(scope="module")
def cpu_stack(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]
) -> Iterator[RunningStack]:
    """A second fresh server, without any GPU."""
    env = database_env(new_database()) | {"SIMPLETUNER_TRAINER_GPUS": "none"}
    with running_stack(tmp_path_factory.mktemp("cpu-workspace"), env=env) as running:
        yield running


def test_without_a_gpu_the_gpu_step_says_training_runs_on_the_cpu_and_the_last_step_can_wait(
    cpu_stack: RunningStack, browser: Browser, screenshots: Screenshots
) -> None:
    admin = create_first_admin(cpu_stack)
    context = browser.new_context(base_url=cpu_stack.url, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    try:
        assert context.request.post("/api/auth/login", data={"username": admin.username, "password": admin.password}).ok
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/datasets")
        expect(page).to_have_url("/onboarding")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Datasets and outputs")).to_be_visible()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_test_id("no-gpu")).to_contain_text("training runs on the CPU")
        screenshots.take(page, "no gpu")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Create your first environment")).to_be_visible()
        page.get_by_role("button", name="Skip for now").click()
        expect(page).to_have_url("/")
        assert context.request.get("/api/webui/state").json()["onboarding"]["complete"] is True
    finally:
        context.close()
    assert not errors, errors
