"""Renders docs/OPTIONS.md from the catalogue (run `python protos/generate.py`; a test fails when it is stale)."""

from __future__ import annotations

import json

from . import CATALOGUE, MODEL_FAMILIES, Option, Tab

HEADER = """# Training options

Generated from the options catalogue (`libs/options/`); do not edit. Every option can be given as
`--name value` to `simpletuner train`, as `"--name": value` (or `"name": value`) in an environment's
`config.json`, or as a form field `--name=value` to the HTTP API.

Model families: {families}.
"""


def _default(option: Option) -> str:
    return "—" if option.default is None else f"`{json.dumps(option.default)}`"


def _details(option: Option) -> str:
    notes = []
    if option.choices:
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in option.choices))
    if option.minimum is not None or option.maximum is not None:
        low = "" if option.minimum is None else f"{option.minimum:g}"
        high = "" if option.maximum is None else f"{option.maximum:g}"
        notes.append(f"range {low}…{high}")
    if option.families:
        notes.append("only for " + ", ".join(option.families))
    if option.required:
        notes.append("required")
    if option.permission:
        notes.append(f"needs `{option.permission}`")
    return "; ".join(notes)


def render_options_doc() -> str:
    lines = [HEADER.format(families=", ".join(f"`{f}`" for f in MODEL_FAMILIES))]
    for tab in Tab:
        options = [option for option in CATALOGUE if option.tab == tab]
        if not options:
            continue
        lines += [
            f"## {tab.value.capitalize()}",
            "",
            "| option | type | default | notes | what it does |",
            "|---|---|---|---|---|",
        ]
        for option in options:
            help_text = option.help.replace("|", "\\|")
            details = _details(option).replace("|", "\\|")
            lines.append(f"| `{option.flag}` | {option.kind.value} | {_default(option)} | {details} | {help_text} |")
        lines.append("")
    lines.append(f"{len(CATALOGUE)} options in all.")
    return "\n".join(lines) + "\n"
