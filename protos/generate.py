"""Regenerates every generated file: the stubs beside each .proto, protos/SUBJECTS.md and docs/OPTIONS.md."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent


def proto_files(root: Path = PROTO_ROOT) -> list[Path]:
    """Every .proto file of the API, relative to the proto root."""
    return sorted(p.relative_to(root) for p in (root / "simpletuner" / "api").rglob("*.proto"))


def generate_stubs(out_dir: Path = PROTO_ROOT) -> None:
    """Write *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every proto into out_dir (same relative layout)."""
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(p) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")
    for package_dir in {(out_dir / p).parent for p in proto_files()}:
        _mark_packages(out_dir, package_dir)


def _mark_packages(out_dir: Path, package_dir: Path) -> None:
    """Create the __init__.py files that make each generated folder (below simpletuner/) a package."""
    current = package_dir
    while current != out_dir / "simpletuner" and current != out_dir:
        (current / "__init__.py").touch()
        current = current.parent


def generate_subjects_doc() -> None:
    """SUBJECTS.md from the bus catalogues (needs the package installed: `pip install -e .`)."""
    from simpletuner.libs.bus.docs import render_subjects_doc

    (PROTO_ROOT / "SUBJECTS.md").write_text(render_subjects_doc())


def generate_options_doc() -> None:
    """docs/OPTIONS.md from the options catalogue (needs the package installed)."""
    from simpletuner.libs.options.docs import render_options_doc

    (PROTO_ROOT.parent / "docs" / "OPTIONS.md").write_text(render_options_doc())


if __name__ == "__main__":
    generate_stubs(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
    generate_subjects_doc()
    generate_options_doc()
