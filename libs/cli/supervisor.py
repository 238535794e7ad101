"""Supervised child processes: restart with exponential backoff, stop in order, leave nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("simpletuner.launcher")

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0  # a child that ran this long starts its backoff afresh
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the launcher dies, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised process; its output goes to its log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    on_start: Callable[[Child], None] | None = None
    _stopping: bool = False
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"supervise-{self.name}")

    async def _spawn(self) -> asyncio.subprocess.Process:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches the launcher, which stops it in order
                preexec_fn=_die_with_parent,
            )
        return process

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            started = time.monotonic()
            self.process = await self._spawn()
            if self.on_start:
                self.on_start(self)
            code = await self.process.wait()
            if self._stopping:
                return
            attempt = 0 if time.monotonic() - started > STABLE_AFTER_SECONDS else attempt + 1
            delay = min(BACKOFF_FIRST_SECONDS * 2 ** max(attempt - 1, 0), BACKOFF_MAX_SECONDS)
            self.restarts += 1
            log.warning(
                "%s exited with code %s; restarting in %.1fs (restart #%d, log: %s)",
                self.name,
                code,
                delay,
                self.restarts,
                self.log_file,
            )
            await asyncio.sleep(delay)

    async def stop(self, timeout: float) -> None:
        """SIGTERM the child's process group; SIGKILL it if it is still there after `timeout`."""
        self._stopping = True
        process = self.process
        if process is not None and process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                log.warning("%s did not stop within %.0fs; killing it", self.name, timeout)
                _signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def stop_group(children: list[Child], timeout: float) -> None:
    """Stop several children at once."""
    await asyncio.gather(*(child.stop(timeout) for child in children))
