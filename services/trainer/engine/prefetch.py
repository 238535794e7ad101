"""Background batch loading (dataloader_prefetch): the next batches are read from the caches on a thread while
the accelerator works on the current one. Order is unchanged, so runs and resumes stay exact."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

Item = TypeVar("Item")
_DONE = object()


def prefetched(items: Iterator[Item], depth: int) -> Iterator[Item]:
    """Yield `items` in order, keeping up to `depth` of them ready; a consumer that stops early stops the thread."""
    ready: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stopping = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stopping.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stopping.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it where it would have surfaced
            ready.put(exc)

    worker = threading.Thread(target=produce, name="batch-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stopping.set()
        worker.join(timeout=5)
