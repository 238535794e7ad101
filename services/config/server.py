"""Builds the config service's gRPC server."""

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .models import MIGRATIONS
from .servicer import ConfigServicer
from .settings import ConfigSettings
from .workspace import Workspace


def build_server(settings: ConfigSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the ConfigService, health and reflection."""
    dirs = (settings.effective_configs_dir, settings.effective_datasets_dir)
    workspace = Workspace(dirs, runtime.database, runtime.auth)
    host = service_host(settings, runtime)
    host.add(
        config_pb2_grpc.add_ConfigServiceServicer_to_server,
        ConfigServicer(runtime, workspace),
        config_pb2.DESCRIPTOR.services_by_name["ConfigService"],
    )
    return host


SPEC = ServiceSpec(
    name="config",
    settings_type=ConfigSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
