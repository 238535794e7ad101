"""Renders protos/SUBJECTS.md from the subject and stream catalogues (the docs never drift from the code)."""

from __future__ import annotations

from simpletuner.libs.bus import streams, subjects

HEADER = """# NATS subjects and streams

Generated from `libs/bus/subjects.py` and `libs/bus/streams.py` by `python protos/generate.py`; do not edit.

Every message is one serialized `simpletuner.api.events.v1.Event` (see `simpletuner/api/events/v1/events.proto`);
its `Nats-Msg-Id` header is the event's `id`, so a retried publish is stored once. Subjects are a public
contract: webhooks, Slack, dashboards and other teams subscribe to them.
"""


def render_subjects_doc() -> str:
    lines = [HEADER, "## Subjects", "", "| subject | payloads | meaning |", "|---|---|---|"]
    for subject in subjects.CATALOGUE:
        payloads = ", ".join(f"`{p}`" for p in subject.payloads)
        lines.append(f"| `{subject.pattern}` | {payloads} | {subject.description} |")
    lines += ["", "## Streams", "", "| stream | subjects | retention | meaning |", "|---|---|---|---|"]
    for stream in streams.CATALOGUE:
        captured = ", ".join(f"`{s}`" for s in stream.subjects)
        days = stream.max_age_seconds / streams.DAY_SECONDS
        lines.append(f"| `{stream.name}` | {captured} | {days:g} days | {stream.description} |")
    return "\n".join(lines) + "\n"
