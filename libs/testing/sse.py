"""A minimal Server-Sent Events reader for tests (frames as the browser's EventSource sees them)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    id: str = ""
    event: str = "message"
    data_lines: list[str] = field(default_factory=list)

    @property
    def data(self) -> Any:
        return json.loads("\n".join(self.data_lines))


def frames(response: httpx.Response) -> Iterator[Frame | str]:
    """Yield each complete frame, and each comment line (heartbeat) as a str."""
    current = Frame()
    for line in response.iter_lines():
        if not line:
            if current.data_lines:
                yield current
            current = Frame()
        elif line.startswith(":"):
            yield line
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                current.data_lines.append(value)
            elif name in ("id", "event"):
                setattr(current, name, value)


class EventStream:
    """Reads frames from one open SSE response, across several waits."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._items = frames(response)

    def read_until(self, done: Callable[[list[Frame]], bool], timeout: float = 30) -> list[Frame]:
        """Collect new frames until `done(new_frames)` is true; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen: list[Frame] = []
        for item in self._items:
            if isinstance(item, Frame):
                seen.append(item)
                if done(seen):
                    return seen
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"stream ended or timed out before the expected frames arrived; got {len(seen)} frames")
