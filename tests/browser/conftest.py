"""Fixtures for browser tests: the real stack, the system Chromium, signed-in pages and screenshots.

Chromium comes from the system (`apt-get install chromium`); without it these tests are skipped,
unless SIMPLETUNER_REQUIRE_BROWSER=1 (as `.ci/run` sets), where its absence is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simpletuner.libs.testing.browser import CHROMIUM_ARGS, Screenshots, artifacts_dir, chromium_executable
from simpletuner.libs.testing.stack import Account, RunningStack, create_first_admin, database_env, running_stack

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' brings Playwright")


@pytest.fixture(scope="module")  # not session: while Playwright runs, its event loop blocks asyncio.run() elsewhere
def browser() -> Iterator[playwright_api.Browser]:
    executable = chromium_executable()
    if executable is None:
        message = "no Chromium: apt-get install chromium (or set SIMPLETUNER_CHROMIUM to its path)"
        if os.environ.get("SIMPLETUNER_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Extra environment variables for the module's stack: its STACK_ENV (a module whose values exist only at run
    time, such as a fake server's URL, overrides this fixture instead)."""
    return dict(getattr(request.module, "STACK_ENV", {}))


@pytest.fixture(scope="module")
def ui_stack(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str | None]
) -> Iterator[RunningStack]:
    """The module's own stack, with the module's stack_env."""
    env = database_env(new_database()) | stack_env
    with running_stack(tmp_path_factory.mktemp("workspace"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def ui_admin(ui_stack: RunningStack) -> Account:
    """The first administrator, with onboarding already finished (else every page sends them to /onboarding;
    tests/browser/test_onboarding.py walks through it on a stack of its own)."""
    admin = create_first_admin(ui_stack)
    with ui_stack.http(headers=admin.headers) as http:
        http.post("/api/webui/onboarding/complete").raise_for_status()
    return admin


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    """Screenshots of this test, under test-artifacts/browser/<module>/<test>/."""
    module = Path(str(request.path)).stem
    return Screenshots(artifacts_dir(Path(str(request.config.rootpath))) / module / request.node.name)


@pytest.fixture
def new_page(browser: playwright_api.Browser, ui_stack: RunningStack) -> Iterator[Callable[..., playwright_api.Page]]:
    """Opens pages on the stack (signed in as `account` when given); fails the test on any JavaScript error."""
    contexts: list[playwright_api.BrowserContext] = []
    errors: list[str] = []

    def open_page(account: Account | None = None, width: int = 1280, height: int = 900) -> playwright_api.Page:
        context = browser.new_context(base_url=ui_stack.url, viewport={"width": width, "height": height})
        contexts.append(context)
        if account is not None:
            reply = context.request.post(
                "/api/auth/login", data={"username": account.username, "password": account.password}
            )
            assert reply.ok, reply.text()
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, "JavaScript errors in the page:\n" + "\n".join(errors)
