"""Dataset folders (/api/datasets): browse datasets_dir, create folders, upload files or a ZIP archive.

Uploads are streamed to the config service in chunks, so the gateway never holds a whole file in memory
(Starlette spools each multipart file to a temporary file first). Handlers parse the form themselves:
the access check then runs before a large body is read, not after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.datastructures import FormData, UploadFile

from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.api.config.v1 import datasets_pb2
from simpletuner.libs import jsontext

from ..deps import ClientsDep
from ..security import requires

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

CHUNK_BYTES = 1024 * 1024  # well under gRPC's default 4 MiB message limit


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


def _body(properties: dict[str, Any], required: list[str], *media_types: str) -> dict[str, Any]:
    """OpenAPI for a body the handler parses itself (so /docs still shows its fields)."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"requestBody": {"required": True, "content": {media: {"schema": schema} for media in media_types}}}


TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}
MULTIPART = "multipart/form-data"
FOLDER_BODY = _body(
    {"parent_path": TEXT, "folder_name": TEXT},
    ["folder_name"],
    MULTIPART,
    "application/x-www-form-urlencoded",
    "application/json",
)
FILES_BODY = _body({"target_path": TEXT, "files": {"type": "array", "items": BINARY}}, ["files"], MULTIPART)
ARCHIVE_BODY = _body({"target_path": TEXT, "file": BINARY}, ["file"], MULTIPART)


def entry_json(entry: datasets_pb2.DatasetEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "path": entry.path,
        "is_dir": entry.is_dir,
        "size": entry.size_bytes,
        "image_count": entry.image_count,
        "caption_count": entry.caption_count,
    }


def summary_json(summary: datasets_pb2.UploadSummary) -> dict[str, Any]:
    return {
        "success": True,
        "files_uploaded": summary.files_uploaded,
        "files_skipped": summary.files_skipped,
        "errors": list(summary.errors),
        "target_path": summary.target_path,
    }


@router.get("/browse", dependencies=needs(p.PERMISSION_DATASETS_VIEW))
async def browse(clients: ClientsDep, path: str = "") -> dict[str, Any]:
    """One folder of datasets_dir, for the directory picker: `{path, parent, root, entries}`.

    Paths are relative to `root` (datasets_dir); folders list how many images and .txt captions they hold.
    """
    reply = await clients.datasets.BrowseDatasets(datasets_pb2.BrowseDatasetsRequest(path=path))
    return {
        "path": reply.path,
        "parent": reply.parent if reply.HasField("parent") else None,
        "root": reply.root,
        "entries": [entry_json(entry) for entry in reply.entries],
    }


@router.post("/folders", dependencies=needs(p.PERMISSION_DATASETS_UPLOAD), openapi_extra=FOLDER_BODY)
async def create_folder(request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Create `folder_name` inside `parent_path` (form fields or a JSON object): `{success, path, name, error}`."""
    fields = await _folder_fields(request)
    reply = await clients.datasets.CreateDatasetFolder(datasets_pb2.CreateDatasetFolderRequest(**fields))
    return {"success": True, "path": reply.path, "name": reply.name, "error": None}


@router.post("/upload", dependencies=needs(p.PERMISSION_DATASETS_UPLOAD), openapi_extra=FILES_BODY)
async def upload_files(request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Store files (form field `files`, or `files[]`) in `target_path`, created if missing.

    Files that are not images, .txt, .json, .jsonl, .csv or .parquet are skipped and listed in `errors`.
    """
    async with request.form() as form:
        target = _text(form, "target_path")
        files = _files([*form.getlist("files"), *form.getlist("files[]")], "files")
        reply = await clients.datasets.UploadDatasetFiles(_file_messages(target, files))
    return summary_json(reply.summary)


@router.post("/upload/zip", dependencies=needs(p.PERMISSION_DATASETS_UPLOAD), openapi_extra=ARCHIVE_BODY)
async def upload_archive(request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Extract a ZIP archive (form field `file`) into `target_path`, created if missing.

    The archive is checked whole first: unsafe names, links, too many entries or bytes refuse it and
    write nothing. Members of other file types are skipped and listed in `errors`.
    """
    async with request.form() as form:
        target = _text(form, "target_path")
        (archive,) = _files(form.getlist("file")[:1], "file")
        reply = await clients.datasets.UploadDatasetArchive(_archive_messages(target, archive))
    return summary_json(reply.summary)


async def _folder_fields(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = jsontext.loads((await request.body()).decode("utf-8"))
        except ValueError:
            raise HTTPException(422, "the body must be JSON, or send form fields") from None
        if not isinstance(body, dict):
            raise HTTPException(422, "the body must be a JSON object: {parent_path, folder_name}")
        source: dict[str, Any] | FormData = body
    else:
        source = await request.form()
    fields: dict[str, str] = {}
    for name in ("parent_path", "folder_name"):
        value = source.get(name, "")
        if not isinstance(value, str):
            raise HTTPException(422, f"`{name}` must be text")
        fields[name] = value
    return fields


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise HTTPException(422, f"`{name}` must be a text field, not a file")
    return value


def _files(values: Sequence[UploadFile | str], name: str) -> list[UploadFile]:
    files = [value for value in values if isinstance(value, UploadFile)]
    if not files or len(files) != len(values):
        raise HTTPException(422, f"send the upload as file(s) in the multipart form field `{name}`")
    return files


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def _file_messages(target: str, files: list[UploadFile]) -> AsyncIterator[datasets_pb2.UploadDatasetFilesRequest]:
    yield datasets_pb2.UploadDatasetFilesRequest(target_path=target)
    for upload in files:
        yield datasets_pb2.UploadDatasetFilesRequest(file_name=upload.filename or "")
        async for chunk in _chunks(upload):
            yield datasets_pb2.UploadDatasetFilesRequest(data=chunk)


async def _archive_messages(
    target: str, archive: UploadFile
) -> AsyncIterator[datasets_pb2.UploadDatasetArchiveRequest]:
    yield datasets_pb2.UploadDatasetArchiveRequest(target_path=target)
    async for chunk in _chunks(archive):
        yield datasets_pb2.UploadDatasetArchiveRequest(data=chunk)
