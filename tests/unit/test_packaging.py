"""A wheel carries every file the web UI serves: pyproject's package-data globs cover its templates and statics."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB_PACKAGE = "simpletuner.services.gateway.web"
WEB_DIR = ROOT / "services" / "gateway" / "web"


def test_every_template_and_static_file_of_the_web_ui_is_package_data() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    globs = package_data[WEB_PACKAGE]
    packaged = {path for pattern in globs for path in WEB_DIR.glob(pattern) if path.is_file()}
    served = {path for folder in ("templates", "static") for path in (WEB_DIR / folder).rglob("*") if path.is_file()}
    assert served, "the web UI has no files at all"
    missing = sorted(str(path.relative_to(WEB_DIR)) for path in served - packaged)
    assert missing == [], f"not in the wheel (extend package-data for {WEB_PACKAGE}): {missing}"
