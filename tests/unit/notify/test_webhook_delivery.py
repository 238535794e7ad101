"""One delivery: the SSRF guard, pinning to the checked address, headers, and which answers are retried."""

from __future__ import annotations

import json

import httpx
import pytest

from simpletuner.libs.notify.delivery import Outcome, WebhookDelivery
from simpletuner.libs.notify.guard import TargetRefused, is_public_address, public_address
from simpletuner.libs.notify.targets import WebhookTarget

PAYLOAD = {"id": "evt-1", "type": "training.status", "severity": "info", "title": "Running", "message": "go"}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::",
    ],
)
def test_loopback_private_link_local_reserved_and_multicast_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


def _resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


async def test_a_host_with_any_private_address_is_refused() -> None:
    resolve = _resolver({"hooks.example.com": ["93.184.216.34"], "rebind.example.com": ["93.184.216.34", "10.0.0.1"]})
    assert await public_address("hooks.example.com", 443, resolve) == "93.184.216.34"
    with pytest.raises(TargetRefused, match="rebind.example.com resolves to 10.0.0.1, which is not a public address"):
        await public_address("rebind.example.com", 443, resolve)


async def test_a_request_goes_to_the_checked_address_keeping_host_sni_and_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    resolve = _resolver({"hooks.example.com": ["93.184.216.34"]})
    target = WebhookTarget("raw", "https://hooks.example.com:8443/in?x=1", auth_token="s3cret")
    async with WebhookDelivery(False, resolve=resolve, transport=httpx.MockTransport(answer)) as delivery:
        assert await delivery.deliver(target, PAYLOAD, "evt-1") is Outcome.DELIVERED
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["x-event-id"] == "evt-1"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert json.loads(request.content) == PAYLOAD


async def test_a_refused_or_unresolvable_target_is_never_contacted() -> None:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    resolve = _resolver({"intranet.example.com": ["192.168.0.10"]})
    async with WebhookDelivery(False, resolve=resolve, transport=transport) as delivery:
        refused = await delivery.deliver(WebhookTarget("raw", "http://intranet.example.com/"), PAYLOAD, "e")
        unknown = await delivery.deliver(WebhookTarget("raw", "http://nowhere.example.com/"), PAYLOAD, "e")
    assert (refused, unknown, seen) == (Outcome.GIVE_UP, Outcome.RETRY, [])


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (301, Outcome.GIVE_UP),
        (307, Outcome.GIVE_UP),
        (400, Outcome.GIVE_UP),
        (401, Outcome.GIVE_UP),
        (404, Outcome.GIVE_UP),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
async def test_server_errors_and_throttling_are_retried_other_failures_are_not(status: int, outcome: Outcome) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, headers={"location": "http://x/"}))
    async with WebhookDelivery(True, transport=transport) as delivery:
        assert await delivery.deliver(WebhookTarget("raw", "http://127.0.0.1:9/"), PAYLOAD, "e") is outcome


async def test_a_network_failure_is_retried() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    async with WebhookDelivery(True, transport=httpx.MockTransport(fail)) as delivery:
        assert await delivery.deliver(WebhookTarget("raw", "http://127.0.0.1:9/"), PAYLOAD, "e") is Outcome.RETRY
