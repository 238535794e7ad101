"""A service host stops even when a background job will not: shutdown is bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path

from simpletuner.libs.rpc.host import ServiceHost
from simpletuner.libs.rpc.identity import TokenVerifier


async def test_stopping_does_not_wait_forever_for_a_job_that_swallows_cancellation(tmp_path: Path) -> None:
    cancelled, finished = asyncio.Event(), asyncio.Event()

    async def stubborn() -> None:  # like a client library that turns CancelledError into its own error
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
        await asyncio.sleep(6)  # goes on long after being cancelled
        finished.set()

    host = ServiceHost(TokenVerifier(tmp_path / "no-key.pem"))
    host.run_in_background(stubborn)
    host.bind("127.0.0.1:0")
    await host.start()
    await asyncio.wait_for(host.stop(0), timeout=5)
    assert cancelled.is_set() and not finished.is_set()  # stop returned without waiting for the job
    await asyncio.wait_for(finished.wait(), timeout=10)


async def test_background_jobs_run_while_serving_and_end_on_stop(tmp_path: Path) -> None:
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    host = ServiceHost(TokenVerifier(tmp_path / "no-key.pem"))
    host.run_in_background(ticker)
    host.bind("127.0.0.1:0")
    await host.start()
    await asyncio.sleep(0.1)
    await host.stop(0)
    count = len(ticks)
    await asyncio.sleep(0.05)
    assert count > 0 and len(ticks) == count
