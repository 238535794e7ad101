"""Services stay separate: they import only libs, api and themselves, and never the training stack at start-up."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = ROOT / "services"
SERVICE_NAMES = sorted(p.name for p in SERVICES_DIR.iterdir() if (p / "__init__.py").exists())
HEAVY = ("torch", "diffusers", "transformers", "accelerate", "peft", "lycoris")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_imports_only_libs_api_and_its_own_modules(service: str) -> None:
    allowed = ("simpletuner.libs", "simpletuner.api", f"simpletuner.services.{service}")
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (SERVICES_DIR / service).rglob("*.py")
        for name in _imports(path)
        if name.startswith("simpletuner") and not name.startswith(allowed)
    ]
    assert not offenders, offenders


def test_the_boundary_check_notices_a_cross_service_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from simpletuner.services.auth import models\n")
    assert _imports(module) == ["simpletuner.services.auth"]


def test_libs_never_import_a_service() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "libs").rglob("*.py")
        for name in _imports(path)
        if name.startswith("simpletuner.services")
    ]
    assert not offenders, offenders


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_starting_a_service_loads_no_training_library(service: str) -> None:
    module = "app" if service == "gateway" else "server"
    probe = (
        f"import sys, json; import simpletuner.services.{service}.{module}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []
