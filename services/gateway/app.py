"""create_app(settings, clients): the FastAPI application (no module-level app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from simpletuner.libs.rpc.client import TokenUnavailable
from simpletuner.libs.version import VERSION

from .clients import ServiceClients
from .errors import rpc_error_handler, token_unavailable_handler
from .middleware import RequestIdMiddleware
from .routes import (
    approvals,
    audit,
    auth,
    configs,
    dataloaders,
    datasets,
    events,
    fields,
    health,
    levels,
    models,
    orgs,
    presets,
    publishing,
    queue,
    system,
    training,
    training_events,
    training_runs,
    users,
    webui,
    workers,
)
from .settings import GatewaySettings
from .web import pages

DESCRIPTION = (
    "SimpleTuner's HTTP API: environments, training, the shared GPU queue and live events. "
    "Authenticate with the session cookie from `/api/auth/login` or an `X-API-Key` header."
)


def create_app(settings: GatewaySettings, clients: ServiceClients) -> FastAPI:
    """The gateway application; `clients` are connected in its lifespan."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await clients.connect()
        try:
            yield
        finally:
            await clients.close()

    app = FastAPI(title="SimpleTuner", version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.clients = clients
    app.add_middleware(RequestIdMiddleware)
    app.add_exception_handler(grpc.aio.AioRpcError, rpc_error_handler)
    app.add_exception_handler(TokenUnavailable, token_unavailable_handler)
    app.include_router(health.router)
    app.include_router(events.router)
    for prefix in auth.PREFIXES:
        app.include_router(auth.router, prefix=prefix)
    app.include_router(levels.router)  # before users: its fixed paths must not match /{user_id}
    app.include_router(users.router)
    app.include_router(orgs.user_quotas)
    app.include_router(orgs.router)
    app.include_router(audit.router)
    app.include_router(fields.router)
    app.include_router(models.router)
    app.include_router(presets.router)
    app.include_router(publishing.router)
    app.include_router(dataloaders.router)  # before configs: its GET/PUT /{name}/dataloader
    app.include_router(configs.router)
    app.include_router(datasets.router)
    app.include_router(training.router)
    app.include_router(training_runs.router)
    app.include_router(training_events.router)
    app.include_router(approvals.decisions)  # before the queue's /{job_id} paths
    app.include_router(queue.router)
    app.include_router(approvals.router)
    app.include_router(approvals.quotas)
    app.include_router(system.router)
    app.include_router(webui.router)
    app.include_router(workers.admin)
    app.include_router(workers.agent)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.include_router(pages.router)
    return app
