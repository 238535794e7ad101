"""Builds the trainer service's gRPC server."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs.gpus import discover
from simpletuner.libs.notify.notifier import WebhookNotifier
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .models import MIGRATIONS
from .runs import RunManager
from .servicer import Node, TrainerServicer
from .settings import TrainerSettings
from .webhooks import JobWebhookLookup


def build_server(settings: TrainerSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the TrainerService, health and reflection; runs are followed while it serves."""
    stack = settings.stack
    inventory = discover(settings.gpus)
    runs = RunManager(
        runtime.database,
        runtime.bus,
        stack.workspace,
        settings.runs_dir,
        stack.require_nats_url(),
        runtime.source,
        settings.max_concurrent_runs,
        has_gpus=bool(inventory.gpus),
        hub_token=runtime.auth.hub_token if runtime.auth is not None else None,
    )
    host = service_host(settings, runtime)
    host.add(
        trainer_pb2_grpc.add_TrainerServiceServicer_to_server,
        TrainerServicer(runtime, runs, Node(settings.node_name, inventory, settings.max_concurrent_runs)),
        trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"],
    )
    host.run_in_background(follow_runs(runs))
    webhooks = JobWebhookLookup(runtime.database)  # this node's runs only: other trainers deliver their own
    notifier = WebhookNotifier(
        runtime.bus, webhooks, settings.webhook_allow_private_targets, durable=settings.webhook_consumer
    )
    host.run_in_background(notifier.run)  # webhooks are a bus subscriber: training never waits for them
    return host


def follow_runs(runs: RunManager) -> Callable[[], Coroutine[Any, Any, None]]:
    """Re-adopt runs left by an earlier instance; at stop, ask every run to stop gracefully."""

    async def job() -> None:
        await runs.adopt()
        try:
            await asyncio.Event().wait()
        finally:
            await runs.shutdown()

    return job


SPEC = ServiceSpec(
    name="trainer",
    settings_type=TrainerSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
