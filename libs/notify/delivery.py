"""POSTing one event to one webhook target: headers, TLS, no redirects, the SSRF guard, and what a failure means."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from simpletuner.libs.notify.formats import request_body
from simpletuner.libs.notify.guard import Resolver, TargetRefused, public_address, system_resolve
from simpletuner.libs.notify.targets import WebhookTarget

log = logging.getLogger("simpletuner.notify")

EVENT_ID_HEADER = "X-Event-Id"
# Statuses worth trying again: the receiver is overloaded, restarting or asks us to slow down.
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class Outcome(enum.Enum):
    """What became of one delivery."""

    DELIVERED = "delivered"
    RETRY = "retry"  # transient: try again later
    GIVE_UP = "give_up"  # permanent: refused, redirected or rejected; retrying cannot help


class WebhookDelivery:
    """HTTP clients for webhook targets (one per TLS verification setting); use as an async context manager."""

    def __init__(
        self,
        allow_private_targets: bool,
        timeout: float = 10.0,
        resolve: Resolver = system_resolve,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allow_private = allow_private_targets
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._resolve = resolve
        self._transport = transport
        self._clients: dict[bool, httpx.AsyncClient] = {}

    async def __aenter__(self) -> WebhookDelivery:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    async def deliver(self, target: WebhookTarget, payload: Mapping[str, Any], event_id: str) -> Outcome:
        """POST the event's body for `target`; never raises for a network or HTTP failure."""
        client = self._client(verify=not target.ssl_no_verify)
        try:
            request = await self._request(client, target, payload, event_id)
        except TargetRefused as exc:
            log.warning("webhook %s refused for event %s: %s", target.display, event_id, exc)
            return Outcome.GIVE_UP
        except OSError as exc:
            log.warning("webhook %s: cannot resolve its host for event %s: %s", target.display, event_id, exc)
            return Outcome.RETRY
        try:
            # Streamed and closed unread: a receiver cannot make us buffer a large answer.
            response = await client.send(request, stream=True)
            await response.aclose()
        except httpx.HTTPError as exc:
            log.warning("webhook %s failed for event %s: %s", target.display, event_id, exc.__class__.__name__)
            return Outcome.RETRY
        return _outcome(target, event_id, response.status_code)

    def _client(self, verify: bool) -> httpx.AsyncClient:
        if verify not in self._clients:
            # No redirects (a 3xx could lead anywhere, past the guard); no proxies from the environment
            # (the request must go to the address the guard checked).
            self._clients[verify] = httpx.AsyncClient(
                verify=verify,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
            )
        return self._clients[verify]

    async def _request(
        self, client: httpx.AsyncClient, target: WebhookTarget, payload: Mapping[str, Any], event_id: str
    ) -> httpx.Request:
        url = httpx.URL(target.callback_url)
        headers = {EVENT_ID_HEADER: event_id}
        if target.auth_token:
            headers["Authorization"] = f"Bearer {target.auth_token}"
        extensions: dict[str, Any] = {}
        if not self._allow_private:
            # Connect to the very address the guard approved, so a second DNS answer cannot swap in another;
            # Host and TLS SNI (so the certificate check) keep the name.
            host = url.raw_host.decode("ascii")
            address = await public_address(host, url.port or _default_port(url), self._resolve)
            headers["Host"] = url.netloc.decode("ascii")
            if url.scheme == "https":
                extensions["sni_hostname"] = host
            url = url.copy_with(host=address)
        return client.build_request(
            "POST", url, json=request_body(target, payload), headers=headers, extensions=extensions
        )


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _outcome(target: WebhookTarget, event_id: str, status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if 300 <= status < 400:
        log.warning(
            "webhook %s answered %s for event %s; redirects are not followed: set callback_url to the final URL",
            target.display,
            status,
            event_id,
        )
        return Outcome.GIVE_UP
    if status >= 500 or status in _RETRYABLE_STATUSES:
        log.warning("webhook %s answered %s for event %s; will retry", target.display, status, event_id)
        return Outcome.RETRY
    log.warning("webhook %s rejected event %s with %s; not retrying", target.display, event_id, status)
    return Outcome.GIVE_UP
