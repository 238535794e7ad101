"""Builds the config service's gRPC server."""

from simpletuner.api.config.v1 import (
    config_pb2,
    config_pb2_grpc,
    datasets_pb2,
    datasets_pb2_grpc,
    workspace_pb2,
    workspace_pb2_grpc,
)
from simpletuner.libs.rpc.host import ServiceHost, service_host
from simpletuner.libs.rpc.runner import ServiceSpec
from simpletuner.libs.rpc.runtime import ServiceRuntime

from .dataset_servicer import DatasetServicer
from .datasets import DatasetFolders, UploadLimits
from .models import MIGRATIONS
from .servicer import ConfigServicer
from .settings import ConfigSettings
from .workspace import Workspace
from .workspace_servicer import WorkspaceServicer
from .workspace_settings import WorkspaceDirs


def build_server(settings: ConfigSettings, runtime: ServiceRuntime) -> ServiceHost:
    """An unstarted server with the ConfigService, the DatasetService, the WorkspaceService, health and reflection."""
    dirs = WorkspaceDirs.from_settings(settings)  # the one place the folders in effect come from
    workspace = Workspace(dirs, runtime.database, runtime.auth)
    host = service_host(settings, runtime)
    host.add(
        config_pb2_grpc.add_ConfigServiceServicer_to_server,
        ConfigServicer(runtime, workspace),
        config_pb2.DESCRIPTOR.services_by_name["ConfigService"],
    )
    folders = DatasetFolders(lambda: dirs.datasets_dir, upload_limits(settings))
    folders.discard_leftovers()  # nothing is in flight before the server starts
    host.add(
        datasets_pb2_grpc.add_DatasetServiceServicer_to_server,
        DatasetServicer(folders, runtime.auth, workspace),
        datasets_pb2.DESCRIPTOR.services_by_name["DatasetService"],
    )
    host.add(
        workspace_pb2_grpc.add_WorkspaceServiceServicer_to_server,
        WorkspaceServicer(dirs, runtime.auth),
        workspace_pb2.DESCRIPTOR.services_by_name["WorkspaceService"],
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
