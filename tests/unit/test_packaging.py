"""`pip install .` ships everything: every module under one `simpletuner` root, migrations, protos, example
environments, the command."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = {
    "libs": "simpletuner/libs",
    "services": "simpletuner/services",
    "protos/simpletuner/api": "simpletuner/api",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("simpletuner-*.whl")
    return zipfile.ZipFile(built)


@pytest.fixture(scope="module")
def wheel_names(wheel: zipfile.ZipFile) -> set[str]:
    return set(wheel.namelist())


def test_every_source_module_is_in_the_wheel_under_the_simpletuner_root(wheel_names: set[str]) -> None:
    expected = {
        f"{target}/{path.relative_to(ROOT / source)}"
        for source, target in SOURCE_ROOTS.items()
        for path in (ROOT / source).rglob("*.py")
    }
    assert expected, "no sources found"
    assert expected - wheel_names == set()


def test_the_wheel_carries_protos_stub_types_and_migrations(wheel_names: set[str]) -> None:
    assert "simpletuner/api/events/v1/events.proto" in wheel_names
    assert "simpletuner/api/auth/v1/auth_pb2.pyi" in wheel_names
    assert "simpletuner/services/auth/migrations/0001_initial.py" in wheel_names


def test_the_wheel_carries_every_example_environment(wheel_names: set[str]) -> None:
    examples = ROOT / "libs" / "examples" / "templates"
    shipped = "simpletuner/libs/examples/templates"
    expected = {f"{shipped}/{path.relative_to(examples)}" for path in examples.rglob("*.json")}
    assert "simpletuner/libs/examples/templates/sdxl-lora/config.json" in expected
    assert expected - wheel_names == set()


def test_the_wheel_installs_the_simpletuner_command(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [name for name in wheel.namelist() if name.endswith("entry_points.txt")]
    assert "simpletuner = simpletuner.libs.cli.main:run" in wheel.read(entry_points).decode()


def test_the_wheel_leaves_tests_and_benchmarks_out(wheel_names: set[str]) -> None:
    assert not any(name.startswith(("tests/", "bench/", "simpletuner/tests")) for name in wheel_names)


def test_the_wheel_carries_every_web_ui_template_and_static_file(wheel_names: set[str]) -> None:
    web = ROOT / "services" / "gateway" / "web"
    shipped = "simpletuner/services/gateway/web"
    expected = {
        f"{shipped}/{path.relative_to(web)}"
        for folder in ("templates", "static")
        for path in (web / folder).rglob("*")
        if path.is_file()
    }
    assert f"{shipped}/templates/partials/dataset_wizard.html" in expected
    assert expected - wheel_names == set()
