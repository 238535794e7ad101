"""The contracts stay honest: stubs match the protos, buf lint passes, the subject docs match the catalogue."""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simpletuner.libs.bus import streams, subjects
from simpletuner.libs.bus.docs import render_subjects_doc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_protos", PROTOS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_are_what_the_generator_produces(tmp_path: Path) -> None:
    generator = _load_generator()
    generator.generate_stubs(tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.suffix in (".py", ".pyi"))
    assert generated, "the generator produced nothing"
    stale = [str(p) for p in generated if not filecmp.cmp(tmp_path / p, PROTOS / p, shallow=False)]
    assert not stale, f"stubs are stale; run `python protos/generate.py`: {stale}"


def test_every_proto_has_committed_stubs() -> None:
    for proto in _load_generator().proto_files():
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert (PROTOS / str(proto).replace(".proto", suffix)).exists(), f"{proto}: missing {suffix}"


def test_protos_pass_buf_standard_lint() -> None:
    buf = shutil.which("buf") or str(Path(sys.executable).parent / "buf")
    if not Path(buf).exists():
        pytest.fail("buf is not installed: `pip install -e '.[dev]'` brings it (buf-bin)")
    result = subprocess.run([buf, "lint"], cwd=PROTOS, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_subject_docs_match_the_catalogue() -> None:
    committed = (PROTOS / "SUBJECTS.md").read_text()
    assert committed == render_subjects_doc(), "protos/SUBJECTS.md is stale; run `python protos/generate.py`"


def test_the_options_doc_matches_the_catalogue() -> None:
    from simpletuner.libs.options.docs import render_options_doc

    committed = (ROOT / "docs" / "OPTIONS.md").read_text()
    assert committed == render_options_doc(), "docs/OPTIONS.md is stale; run `python protos/generate.py`"


def test_every_subject_is_captured_by_exactly_one_stream() -> None:
    for subject in subjects.CATALOGUE:
        owners = [s.name for s in streams.CATALOGUE if any(_matches(p, subject.wildcard) for p in s.subjects)]
        assert len(owners) == 1, f"{subject.pattern} is captured by {owners}"


def test_every_subject_payload_is_a_field_of_the_event_envelope() -> None:
    from simpletuner.api.events.v1 import events_pb2

    payloads = {f.name for f in events_pb2.Event.DESCRIPTOR.oneofs_by_name["payload"].fields}
    for subject in subjects.CATALOGUE:
        assert set(subject.payloads) <= payloads, f"{subject.pattern} names unknown payloads"


def test_subject_tokens_cannot_escape_their_placeholder() -> None:
    assert subjects.SERVICE_STATE.render(service="auth") == "simpletuner.system.services.auth.state"
    for bad in ("", "a.b", "a*", ">", "a b"):
        with pytest.raises(ValueError):
            subjects.SERVICE_STATE.render(service=bad)


def _matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching of a concrete-or-wildcard subject against a stream pattern."""
    p_tokens, s_tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(p_tokens):
        if token == ">":
            return len(s_tokens) > index
        if index >= len(s_tokens) or (token != "*" and token != s_tokens[index]):
            return False
    return len(p_tokens) == len(s_tokens)
