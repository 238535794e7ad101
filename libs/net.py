"""Small network helpers for launchers and tests."""

from __future__ import annotations

import asyncio
import random
import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    return free_ports(1, host)[0]


# Listening ports come from below Linux's ephemeral range (32768-60999), which outgoing connections draw their
# source ports from: a port the OS hands out for bind(0) can be taken by a connection before the server binds it.
LISTEN_PORTS = range(20000, 32768)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct TCP ports that were free a moment ago. The sockets stay bound until all are chosen:
    asked one at a time, the same port could come back twice, and two services would then collide."""
    sockets: list[socket.socket] = []
    try:
        while len(sockets) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((host, random.choice(LISTEN_PORTS)))
            except OSError:  # in use (or bound a moment ago by us): draw another
                sock.close()
                continue
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


async def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Poll until something accepts connections on host:port, or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        await asyncio.sleep(0.02)
    return False
