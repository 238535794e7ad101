"""Port helpers: ports handed out together are distinct, so the services of one stack never collide."""

from __future__ import annotations

import socket

from simpletuner.libs.net import free_ports, port_open


def test_ports_chosen_together_are_distinct_and_bindable() -> None:
    ports = free_ports(64)
    assert len(set(ports)) == 64
    for port in ports[:4]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_nobody_listens_on_is_not_open() -> None:
    (port,) = free_ports(1)
    assert not port_open("127.0.0.1", port)
