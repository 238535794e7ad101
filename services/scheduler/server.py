"""Builds the scheduler service's gRPC server."""

from typing import Any

from simpletuner.api.auth.v1 import orgs_pb2, orgs_pb2_grpc
from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.api.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs.rpc.access import access_rules
from simpletuner.libs.rpc.client import ServiceTokenSource, open_channel
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime
from simpletuner.libs.settings import StackSettings

from .models import MIGRATIONS
from .queue import JobQueue
from .servicer import SchedulerServicer
from .settings import SchedulerSettings
from .workers import Workers


def build_server(settings: SchedulerSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the SchedulerService, health and reflection; it dispatches while it serves."""
    stack = settings.stack
    tokens = ServiceTokenSource("scheduler", stack.address_of("auth"), stack.load_service_secret)
    queue = JobQueue(
        runtime,
        settings,
        config_pb2_grpc.ConfigServiceStub(_channel(stack, "config", config_pb2, "ConfigService", tokens)),
        trainer_pb2_grpc.TrainerServiceStub(_channel(stack, "trainer", trainer_pb2, "TrainerService", tokens)),
        orgs_pb2_grpc.OrganizationServiceStub(_channel(stack, "auth", orgs_pb2, "OrganizationService", tokens)),
    )
    workers = Workers(queue)
    host = service_host(settings, runtime)
    host.add(
        scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server,
        SchedulerServicer(runtime, queue, workers),
        scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"],
    )
    host.run_in_background(queue.follow_run_endings)
    host.run_in_background(queue.run_dispatcher)
    host.run_in_background(workers.watch_leases)
    return host


def _channel(stack: StackSettings, service: str, module: Any, name: str, tokens: ServiceTokenSource) -> Any:
    rules = access_rules(module.DESCRIPTOR.services_by_name[name])
    return open_channel(stack.address_of(service), tokens, rules)


SPEC = ServiceSpec(
    name="scheduler",
    settings_type=SchedulerSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
