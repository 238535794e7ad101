"""GET /api/health: each service's gRPC health, database and bus, and the gateway's own bus connection."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2
from pydantic import BaseModel

from simpletuner.libs.rpc.client import TokenUnavailable
from simpletuner.libs.settings import SERVICES
from simpletuner.libs.version import VERSION

from ..clients import SERVICE_STUBS, ServiceClients
from ..deps import ClientsDep
from ..security import public

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_SECONDS = 2.0


class DependencyHealth(BaseModel):
    healthy: bool
    detail: str


class ServiceHealth(BaseModel):
    status: str
    healthy: bool
    version: str = ""
    instance_id: str = ""
    schema_revision: str = ""
    dependencies: dict[str, DependencyHealth] = {}
    error: str = ""


class BusHealth(BaseModel):
    connected: bool
    server: str = ""


class HealthReport(BaseModel):
    status: str
    version: str
    services: dict[str, ServiceHealth]
    nats: BusHealth


@router.get(
    "/api/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport}},
    dependencies=[Depends(public())],
)
async def get_health(clients: ClientsDep) -> JSONResponse:
    """Report whether every service answers and has its database and bus; 503 when anything is down.

    Public on purpose: load balancers and `simpletuner server` probe it without credentials.
    """
    probes = await asyncio.gather(*(_probe(clients, name) for name in SERVICES))
    services = dict(zip(SERVICES, probes, strict=True))
    bus = clients.bus
    nats = BusHealth(
        connected=bool(bus and bus.connected),
        server=bus.client.connected_url.netloc if bus and bus.connected and bus.client.connected_url else "",
    )
    healthy = nats.connected and all(s.healthy for s in services.values())
    report = HealthReport(status="ok" if healthy else "degraded", version=VERSION, services=services, nats=nats)
    return JSONResponse(report.model_dump(), status_code=200 if healthy else 503)


async def _probe(clients: ServiceClients, name: str) -> ServiceHealth:
    try:
        check = await clients.health(name).Check(health_pb2.HealthCheckRequest(), timeout=PROBE_TIMEOUT_SECONDS)
        _, request_type = SERVICE_STUBS[name]
        reply = await clients.stub(name).GetServiceInfo(request_type(), timeout=PROBE_TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as exc:
        return ServiceHealth(status="UNREACHABLE", healthy=False, error=f"{exc.code().name}: {exc.details()}")
    except TokenUnavailable as exc:
        return ServiceHealth(status="UNREACHABLE", healthy=False, error=str(exc))
    info = reply.info
    dependencies = {d.name: DependencyHealth(healthy=d.healthy, detail=d.detail) for d in info.dependencies}
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(check.status)
    return ServiceHealth(
        status=status,
        healthy=status == "SERVING" and all(d.healthy for d in dependencies.values()),
        version=info.version,
        instance_id=info.instance_id,
        schema_revision=info.schema_revision,
        dependencies=dependencies,
    )
