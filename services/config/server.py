"""Builds the config service's gRPC server."""

from simpletuner.api.config.v1 import config_pb2, config_pb2_grpc, datasets_pb2, datasets_pb2_grpc
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .dataset_servicer import DatasetServicer
from .datasets import DatasetFolders, UploadLimits
from .models import MIGRATIONS
from .servicer import ConfigServicer
from .settings import ConfigSettings
from .workspace import Workspace


def build_server(settings: ConfigSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the ConfigService, the DatasetService, health and reflection."""
    dirs = (settings.effective_configs_dir, settings.effective_datasets_dir)
    workspace = Workspace(dirs, runtime.database, runtime.auth)
    host = service_host(settings, runtime)
    host.add(
        config_pb2_grpc.add_ConfigServiceServicer_to_server,
        ConfigServicer(runtime, workspace),
        config_pb2.DESCRIPTOR.services_by_name["ConfigService"],
    )
    folders = DatasetFolders(settings.effective_datasets_dir, upload_limits(settings))
    folders.discard_leftovers()  # nothing is in flight before the server starts
    host.add(
        datasets_pb2_grpc.add_DatasetServiceServicer_to_server,
        DatasetServicer(folders, runtime.auth),
        datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"],
    )
    return host


def upload_limits(settings: ConfigSettings) -> UploadLimits:
    return UploadLimits(
        max_file_bytes=settings.upload_max_file_bytes,
        max_archive_entries=settings.upload_max_archive_entries,
        max_extracted_bytes=settings.upload_max_extracted_bytes,
        max_compression_ratio=settings.upload_max_compression_ratio,
    )


SPEC = ServiceSpec(
    name="config",
    settings_type=ConfigSettings,
    migrations=MIGRATIONS,
    build_server=build_server,
)
