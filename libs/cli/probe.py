"""`simpletuner probe <name>`: exit 0 when the process on this machine answers its health check (for containers)."""

from __future__ import annotations

import os

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from simpletuner.libs.settings import DEFAULT_PORTS, GATEWAY_DEFAULT_PORT

TIMEOUT_SECONDS = 3.0


def probe(name: str) -> bool:
    """Whether the local `name` (a service or "gateway") reports itself healthy on its configured port."""
    if name == "gateway":
        port = os.environ.get("SIMPLETUNER_PORT", str(GATEWAY_DEFAULT_PORT))
        scheme = "https" if os.environ.get("SIMPLETUNER_SSL_CERTFILE") else "http"
        try:
            response = httpx.get(f"{scheme}://127.0.0.1:{port}/api/health", timeout=TIMEOUT_SECONDS, verify=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
    port = os.environ.get(f"SIMPLETUNER_{name.upper()}_PORT", str(DEFAULT_PORTS[name]))
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_SECONDS)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
