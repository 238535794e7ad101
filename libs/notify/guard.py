"""The SSRF guard: webhook hosts must resolve only to public addresses unless private targets are allowed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

# (host, port) -> every address the host resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The target resolves to an address webhooks may not reach; retrying will not change that."""


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the operating system's resolver gives for host (raises OSError when it fails)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """False for loopback, private, shared, link-local, reserved, multicast and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 form that carries an IPv4 address is judged by the IPv4 address it reaches.
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)


async def public_address(host: str, port: int, resolve: Resolver = system_resolve) -> str:
    """The address to connect to. Every address must be public: a resolver may rotate through them.

    Raises TargetRefused for a non-public address, OSError when the name does not resolve (possibly transient).
    """
    addresses = await resolve(host, port)
    if not addresses:
        raise OSError(f"{host} resolved to no address")
    for address in addresses:
        if not is_public_address(address):
            raise TargetRefused(
                f"{host} resolves to {address}, which is not a public address; webhooks reach loopback and private "
                "networks only when the server allows private targets"
            )
    return addresses[0]
