"""Builds the trainer service's gRPC server."""

from simpletuner.api.trainer.v1 import trainer_pb2, trainer_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .models import MIGRATIONS
from .servicer import TrainerServicer
from .settings import TrainerSettings


def build_server(settings: TrainerSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the TrainerService, health and reflection."""
    host = service_host(settings, runtime)
    host.add(
        trainer_pb2_grpc.add_TrainerServiceServicer_to_server,
        TrainerServicer(runtime),
        trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"],
    )
    return host


SPEC = ServiceSpec(
    name="trainer",
    settings_type=TrainerSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
