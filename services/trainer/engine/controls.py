"""Requests from outside a run (stop, validate now, checkpoint now), honoured after the next gradient sync."""

from __future__ import annotations

import signal
from dataclasses import dataclass


@dataclass
class Controls:
    """Flags the loop reads after every optimisation step; `poll` lets a subclass fetch new requests (NATS).
    With several processes the loop merges every rank's flags right after `poll` (distributed.agree), so a
    request that reached one rank is honoured by all of them at the same step."""

    stop: bool = False
    validate: bool = False
    checkpoint: bool = False

    def poll(self) -> None:
        """Refresh the flags from wherever requests arrive; the base class only has signals."""

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT ask for a graceful stop: finish the step, save a checkpoint, exit."""

        def request_stop(signum: int, frame: object) -> None:
            self.stop = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
