"""The gateway app on its own: docs, request ids, and a health report that says what is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from simpletuner.libs.net import free_port
from simpletuner.libs.settings import SERVICES, StackSettings
from simpletuner.libs.testing.nats import NatsServer
from simpletuner.services.gateway.app import create_app
from simpletuner.services.gateway.clients import ServiceClients
from simpletuner.services.gateway.settings import GatewaySettings


@pytest.fixture
def client_without_services(tmp_path: Path, nats_server: NatsServer) -> Iterator[TestClient]:
    """A gateway whose services are all unreachable (nothing listens on their ports)."""
    addresses = {f"{name}_address": f"127.0.0.1:{free_port()}" for name in SERVICES}
    stack = StackSettings(workspace=tmp_path, nats_url=nats_server.url, **addresses)
    settings = GatewaySettings(stack=stack)
    with TestClient(create_app(settings, ServiceClients.from_settings(stack))) as client:
        yield client


def test_health_is_503_and_names_each_unreachable_service(client_without_services: TestClient) -> None:
    response = client_without_services.get("/api/health")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["nats"]["connected"] is True
    assert set(body["services"]) == set(SERVICES)
    for service in body["services"].values():
        assert service["status"] == "UNREACHABLE" and service["healthy"] is False
        assert service["error"].startswith(("UNAVAILABLE", "DEADLINE_EXCEEDED"))


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_the_api_documents_itself(client_without_services: TestClient, path: str) -> None:
    response = client_without_services.get(path)
    assert response.status_code == 200


def test_openapi_lists_the_health_and_events_routes(client_without_services: TestClient) -> None:
    paths = client_without_services.get("/openapi.json").json()["paths"]
    assert {"/api/health", "/api/events"} <= set(paths)


def test_a_given_request_id_is_echoed_and_a_missing_one_is_made(client_without_services: TestClient) -> None:
    given = client_without_services.get("/openapi.json", headers={"X-Request-ID": "abc-1"})
    made = client_without_services.get("/openapi.json")
    assert given.headers["x-request-id"] == "abc-1"
    assert len(made.headers["x-request-id"]) == 32
