"""WorkspaceService RPCs: the workspace's folders and onboarding progress, proto messages in and out."""

from __future__ import annotations

import asyncio

import grpc

from simpletuner.api.config.v1 import workspace_pb2, workspace_pb2_grpc
from simpletuner.libs.rpc.auth_client import AuthClient

from . import audit
from .environments import DEFAULT_ENVIRONMENT
from .workspace_settings import FOLDERS, Change, Snapshot, WorkspaceDirs


def settings_message(snapshot: Snapshot) -> workspace_pb2.WorkspaceSettings:
    folders, defaults = snapshot.folders, snapshot.defaults
    return workspace_pb2.WorkspaceSettings(
        configs_dir=str(folders.configs_dir),
        datasets_dir=str(folders.datasets_dir),
        output_dir=str(folders.output_dir),
        completed_steps=list(snapshot.completed_steps),
        onboarding_complete=snapshot.onboarding_complete,
        workspace_dir=str(snapshot.workspace),
        default_configs_dir=str(defaults.configs_dir),
        default_datasets_dir=str(defaults.datasets_dir),
        default_output_dir=str(defaults.output_dir),
        default_environment=DEFAULT_ENVIRONMENT,
    )


class WorkspaceServicer(workspace_pb2_grpc.WorkspaceServiceServicer):
    """Reads and changes the folders every other part of the config service uses."""

    def __init__(self, dirs: WorkspaceDirs, auth: AuthClient | None) -> None:
        self._dirs = dirs
        self._auth = auth

    async def GetWorkspaceSettings(
        self, request: workspace_pb2.GetWorkspaceSettingsRequest, context: grpc.aio.ServicerContext
    ) -> workspace_pb2.GetWorkspaceSettingsResponse:
        return workspace_pb2.GetWorkspaceSettingsResponse(settings=settings_message(self._dirs.snapshot()))

    async def UpdateWorkspaceSettings(
        self, request: workspace_pb2.UpdateWorkspaceSettingsRequest, context: grpc.aio.ServicerContext
    ) -> workspace_pb2.UpdateWorkspaceSettingsResponse:
        change = Change(
            folders={name: getattr(request, name) for name in FOLDERS if request.HasField(name)},
            completed_steps=tuple(request.completed_steps),
            replace_steps=request.replace_completed_steps,
            onboarding_complete=request.onboarding_complete if request.HasField("onboarding_complete") else None,
        )
        before = self._dirs.snapshot()
        after = await asyncio.to_thread(self._dirs.update, change)
        moved = {
            name: str(getattr(after.folders, name))
            for name in FOLDERS
            if getattr(after.folders, name) != getattr(before.folders, name)
        }
        if moved or after.onboarding_complete != before.onboarding_complete:
            details = moved | {"onboarding_complete": after.onboarding_complete}
            audit.record(self._auth, "workspace.settings_updated", "workspace", "settings", details)
        return workspace_pb2.UpdateWorkspaceSettingsResponse(settings=settings_message(after))
