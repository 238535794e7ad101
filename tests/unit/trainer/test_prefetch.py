"""Prefetching keeps the order, surfaces the producer's errors, and stops its thread when the consumer stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from simpletuner.services.trainer.engine.prefetch import prefetched


def test_items_arrive_in_order() -> None:
    assert list(prefetched(iter(range(50)), depth=3)) == list(range(50))


def test_an_error_while_loading_is_raised_to_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise OSError("cache file missing")

    with pytest.raises(OSError, match="cache file missing"):
        list(prefetched(broken(), depth=2))


def test_stopping_early_stops_the_loading_thread() -> None:
    def endless() -> Iterator[int]:
        count = 0
        while True:
            count += 1
            yield count

    items = prefetched(endless(), depth=2)
    assert next(items) == 1
    items.close()
    time.sleep(0.3)
    assert not any(thread.name == "batch-prefetch" for thread in threading.enumerate())
