"""Builds the scheduler service's gRPC server."""

from simpletuner.api.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .models import MIGRATIONS
from .servicer import SchedulerServicer
from .settings import SchedulerSettings


def build_server(settings: SchedulerSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the SchedulerService, health and reflection."""
    host = service_host(settings, runtime)
    host.add(
        scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server,
        SchedulerServicer(runtime),
        scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"],
    )
    return host


SPEC = ServiceSpec(
    name="scheduler",
    settings_type=SchedulerSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
