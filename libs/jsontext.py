"""JSON that round-trips exactly: numbers keep their spelling (1e-4 stays 1e-4) and keys their order.

Python's json turns 1e-4 into 0.0001 on the way back out; users edit config files by hand and compare
them in git, so a float is read as a `Number` that remembers its text and is written back verbatim.
"""

from __future__ import annotations

import json
import uuid
from typing import Any


class Number(float):
    """A JSON float that remembers how it was written."""

    text: str

    def __new__(cls, text: str) -> Number:
        number = super().__new__(cls, text)
        number.text = text
        return number


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Number)


def dumps(value: Any) -> str:
    """Indented JSON, with every Number written exactly as it was read."""
    originals: dict[str, str] = {}

    def mark(item: Any) -> Any:
        if isinstance(item, Number):
            token = f"__number_{uuid.uuid4().hex}__"
            originals[f'"{token}"'] = item.text
            return token
        if isinstance(item, dict):
            return {key: mark(child) for key, child in item.items()}
        if isinstance(item, list):
            return [mark(child) for child in item]
        return item

    text = json.dumps(mark(value), indent=2, ensure_ascii=False)
    for token, original in originals.items():
        text = text.replace(token, original)
    return text + "\n"
