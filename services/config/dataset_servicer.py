"""DatasetService RPCs: proto messages in, calls on the dataset folders (in a thread) and on environments'
dataloader files, proto messages out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import PurePosixPath
from typing import Any, TypeVar

import grpc

from simpletuner.api.config.v1 import datasets_pb2, datasets_pb2_grpc
from simpletuner.libs import jsontext
from simpletuner.libs.options import dataloader as schema
from simpletuner.libs.rpc.auth_client import AuthClient
from simpletuner.libs.rpc.errors import InvalidArgument

from . import audit
from .dataloaders import DataloaderFile, Problem
from .datasets import ArchiveUpload, DatasetFolders, Entry, FileUpload, StagedUpload, UploadSummary
from .workspace import Workspace

Upload = TypeVar("Upload", bound=StagedUpload)


def entry_message(entry: Entry) -> datasets_pb2.DatasetEntry:
    return datasets_pb2.DatasetEntry(
        name=entry.name,
        path=entry.path,
        is_dir=entry.is_dir,
        size_bytes=entry.size_bytes,
        image_count=entry.image_count,
        caption_count=entry.caption_count,
    )


def summary_message(summary: UploadSummary) -> datasets_pb2.UploadSummary:
    return datasets_pb2.UploadSummary(
        target_path=summary.target_path,
        files_uploaded=summary.files_uploaded,
        files_skipped=summary.files_skipped,
        errors=summary.errors,
    )


def problem_message(problem: Problem) -> datasets_pb2.DataloaderProblem:
    return datasets_pb2.DataloaderProblem(
        field=problem.field,
        message=problem.message,
        index=problem.index,
        dataset_id=problem.dataset_id,
        key=problem.key,
    )


def problems(found: list[Problem]) -> list[datasets_pb2.DataloaderProblem]:
    return [problem_message(problem) for problem in found]


def field_message(spec: schema.FieldSpec) -> datasets_pb2.DataloaderField:
    return datasets_pb2.DataloaderField(
        name=spec.name,
        kind=spec.kind,
        default_json=jsontext.dumps(spec.default),
        choices=spec.choices,
        supported=spec.supported,
        minimum=spec.minimum,
        exclusive_minimum=spec.exclusive_minimum,
        required=spec.required,
        aliases=spec.aliases,
    )


def stored_json(file: DataloaderFile) -> str:
    """The file's text as stored, or "" when it is not JSON (the errors say why)."""
    return file.text if file.data is not None else ""


def feed_files(upload: FileUpload, message: datasets_pb2.UploadDatasetFilesRequest) -> None:
    part = message.WhichOneof("part")
    if part == "file_name":
        upload.start(message.file_name)
    elif part == "data":
        upload.write(message.data)
    else:
        raise InvalidArgument("only the first message carries target_path; then file_name and data")


def feed_archive(upload: ArchiveUpload, message: datasets_pb2.UploadDatasetArchiveRequest) -> None:
    if message.WhichOneof("part") != "data":
        raise InvalidArgument("only the first message carries target_path; then the archive's data")
    upload.write(message.data)


class DatasetServicer(datasets_pb2_grpc.DatasetServiceServicer):
    """Folders and uploads under datasets_dir, and environments' dataloader files; the file work runs in threads
    so the server stays responsive."""

    def __init__(self, folders: DatasetFolders, auth: AuthClient | None, workspace: Workspace) -> None:
        self._folders = folders
        self._auth = auth
        self._workspace = workspace
        self._schema = datasets_pb2.GetDataloaderSchemaResponse(
            fields=[field_message(spec) for spec in schema.field_specs()]
        )

    async def BrowseDatasets(
        self, request: datasets_pb2.BrowseDatasetsRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.BrowseDatasetsResponse:
        listing = await asyncio.to_thread(self._folders.browse, request.path)
        return datasets_pb2.BrowseDatasetsResponse(
            path=listing.path,
            parent=listing.parent,
            root=str(listing.root),
            entries=[entry_message(entry) for entry in listing.entries],
        )

    async def CreateDatasetFolder(
        self, request: datasets_pb2.CreateDatasetFolderRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.CreateDatasetFolderResponse:
        path = await asyncio.to_thread(self._folders.create_folder, request.parent_path, request.folder_name)
        audit.record(self._auth, "dataset.folder_created", "dataset", path, {"path": path})
        return datasets_pb2.CreateDatasetFolderResponse(path=path, name=PurePosixPath(path).name)

    async def UploadDatasetFiles(
        self,
        request_iterator: AsyncIterator[datasets_pb2.UploadDatasetFilesRequest],
        context: grpc.aio.ServicerContext,
    ) -> datasets_pb2.UploadDatasetFilesResponse:
        summary = await self._receive(request_iterator, FileUpload, feed_files)
        self._audit(summary, "files")
        return datasets_pb2.UploadDatasetFilesResponse(summary=summary_message(summary))

    async def UploadDatasetArchive(
        self,
        request_iterator: AsyncIterator[datasets_pb2.UploadDatasetArchiveRequest],
        context: grpc.aio.ServicerContext,
    ) -> datasets_pb2.UploadDatasetArchiveResponse:
        summary = await self._receive(request_iterator, ArchiveUpload, feed_archive)
        self._audit(summary, "archive")
        return datasets_pb2.UploadDatasetArchiveResponse(summary=summary_message(summary))

    async def GetDataloaderConfig(
        self, request: datasets_pb2.GetDataloaderConfigRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.GetDataloaderConfigResponse:
        file = await self._workspace.get_dataloader(request.environment, request.file)
        return datasets_pb2.GetDataloaderConfigResponse(
            environment=file.environment,
            path=file.path,
            absolute_path=str(file.absolute),
            exists=file.exists,
            datasets_json=stored_json(file),
            etag=file.etag,
            errors=problems(file.report.errors),
            warnings=problems(file.report.warnings),
        )

    async def UpdateDataloaderConfig(
        self, request: datasets_pb2.UpdateDataloaderConfigRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.UpdateDataloaderConfigResponse:
        written = await self._workspace.update_dataloader(
            request.environment,
            request.file,
            request.datasets_json,
            request.etag,
            request.ensure_text_embeds,
            request.request_id,
        )
        reply = datasets_pb2.UpdateDataloaderConfigResponse(
            saved=written.saved,
            environment=request.environment,
            replayed=written.replayed,
            config_updated=written.config_updated,
            errors=problems(written.report.errors),
            warnings=problems(written.report.warnings),
        )
        if written.file is not None:
            reply.path, reply.absolute_path = written.file.path, str(written.file.absolute)
            reply.datasets_json, reply.etag = stored_json(written.file), written.file.etag
        elif written.submitted is not None:
            reply.datasets_json = jsontext.dumps(written.submitted)
        return reply

    async def GetDataloaderSchema(
        self, request: datasets_pb2.GetDataloaderSchemaRequest, context: grpc.aio.ServicerContext
    ) -> datasets_pb2.GetDataloaderSchemaResponse:
        return self._schema

    async def _receive(
        self,
        messages: AsyncIterator[Any],
        start: Callable[[DatasetFolders, str], Upload],
        feed: Callable[[Upload, Any], None],
    ) -> UploadSummary:
        """The first message names the target; the rest are fed to the upload; staging is always cleaned up."""
        upload: Upload | None = None
        try:
            async for message in messages:
                if upload is not None:
                    await asyncio.to_thread(feed, upload, message)
                elif message.WhichOneof("part") == "target_path":
                    upload = await asyncio.to_thread(start, self._folders, message.target_path)
                else:
                    raise InvalidArgument("the first message must carry target_path (the folder to store into)")
            if upload is None:
                raise InvalidArgument("the upload was empty; send target_path first, then the data")
            return await asyncio.to_thread(upload.finish)
        finally:
            if upload is not None:
                await asyncio.to_thread(upload.close)

    def _audit(self, summary: UploadSummary, kind: str) -> None:
        details = {
            "target": summary.target_path,
            "kind": kind,
            "files_uploaded": summary.files_uploaded,
            "files_skipped": summary.files_skipped,
        }
        audit.record(self._auth, "dataset.uploaded", "dataset", summary.target_path or "/", details)
