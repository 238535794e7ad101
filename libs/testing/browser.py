"""Browser tests: Playwright driving the system's Chromium (never a downloaded browser), with screenshots kept."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is a dev dependency, imported only by browser tests
    from playwright.sync_api import Page

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# what Chromium needs on a headless CI machine (no GPU, no sandbox as root, no background downloads)
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS_ENV = "SIMPLETUNER_TEST_ARTIFACTS"


def chromium_executable() -> str | None:
    """SIMPLETUNER_CHROMIUM, else Debian's Chromium, else whatever `chromium` is on PATH."""
    if configured := os.environ.get("SIMPLETUNER_CHROMIUM"):
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def artifacts_dir(root: Path) -> Path:
    """Where screenshots go: $SIMPLETUNER_TEST_ARTIFACTS, else test-artifacts/ in the checkout."""
    return Path(os.environ.get(ARTIFACTS_ENV) or root / "test-artifacts") / "browser"


@dataclass
class Screenshots:
    """Numbered full-page screenshots of one test, in the order its steps happen."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Page, step: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{len(self.taken) + 1:02d}-{slug}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky bars land mid-page in a full-page shot
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path
