"""A real nats-server with JetStream in a temporary store, on a free port."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from simpletuner.libs.cli.launcher import nats_server_binary
from simpletuner.libs.net import free_port, port_open


@dataclass(frozen=True)
class NatsServer:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_nats_server(start_timeout: float = 10.0) -> Iterator[NatsServer]:
    """Start `nats-server -js` with its own store; stop it and delete the store afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="st-nats-") as store:
        argv = [nats_server_binary(), "-js", "-sd", store, "-a", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + start_timeout
            while not port_open("127.0.0.1", port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nats-server did not start on port {port}")
                time.sleep(0.02)
            yield NatsServer(f"nats://127.0.0.1:{port}", process)
        finally:
            process.terminate()
            process.wait(timeout=10)
