"""Environments' dataloader files (`GET|PUT /api/configs/{name}/dataloader`) and the schema of their entries
(`GET /api/datasets/schema`), read from the config service.

The file travels as its exact text (numbers keep their spelling), spliced into the responses as in
routes/configs.py. `POST /api/configs/{name}/dataloader` (regenerate a starter file) stays in configs.py;
this router is included before it so the paths are matched here first.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.api.config.v1 import datasets_pb2
from simpletuner.libs import jsontext

from ..deps import ClientsDep
from ..security import requires
from .configs import _bare, with_raw

router = APIRouter(tags=["datasets"])

ENTRY = {"type": "object", "additionalProperties": True, "required": ["id", "type"]}
UPDATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["datasets"],
                            "properties": {
                                "datasets": {"type": "array", "items": ENTRY},
                                "file": {"type": "string"},
                                "etag": {"type": "string"},
                                "ensure_text_embeds": {"type": "boolean"},
                                "request_id": {"type": "string"},
                            },
                        },
                        {"type": "array", "items": ENTRY},
                    ]
                }
            }
        },
    }
}


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


def problems_json(found: Any) -> list[dict[str, Any]]:
    return [
        {
            "field": problem.field,
            "message": problem.message,
            "index": problem.index if problem.HasField("index") else None,
            "dataset_id": problem.dataset_id or None,
            "key": problem.key or None,
        }
        for problem in found
    ]


@router.get("/api/datasets/schema", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def dataloader_schema(clients: ClientsDep) -> dict[str, Any]:
    """The keys of a dataloader entry: `{fields: [{name, kind, default, choices, supported, minimum,
    exclusive_minimum, required, aliases}]}`. `supported` lists the choices this trainer can train with."""
    reply = await clients.datasets.GetDataloaderSchema(datasets_pb2.GetDataloaderSchemaRequest())
    fields = [
        {
            "name": spec.name,
            "kind": spec.kind,
            "default": json.loads(spec.default_json),
            "choices": list(spec.choices),
            "supported": list(spec.supported),
            "minimum": spec.minimum if spec.HasField("minimum") else None,
            "exclusive_minimum": spec.exclusive_minimum,
            "required": spec.required,
            "aliases": list(spec.aliases),
        }
        for spec in reply.fields
    ]
    return {"fields": fields}


@router.get("/api/configs/{name}/dataloader", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def get_dataloader(name: str, clients: ClientsDep, file: str = "") -> Response:
    """The environment's dataloader file: `{environment, path, absolute_path, exists, etag, datasets, errors,
    warnings}`.

    `file` picks one of its `multidatabackend*.json` files (default: the one its config's
    data_backend_config names, else multidatabackend.json). `datasets` is the list exactly as stored (`[]`
    when the file does not exist yet, null when it is not valid JSON); `errors` are what a run would refuse.
    """
    reply = await clients.datasets.GetDataloaderConfig(
        datasets_pb2.GetDataloaderConfigRequest(environment=_bare(name), file=file)
    )
    fields = {
        "environment": reply.environment,
        "path": reply.path,
        "absolute_path": reply.absolute_path,
        "exists": reply.exists,
        "etag": reply.etag,
        "errors": problems_json(reply.errors),
        "warnings": problems_json(reply.warnings),
    }
    return with_raw(fields, datasets=reply.datasets_json or "null")


@router.put(
    "/api/configs/{name}/dataloader", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN), openapi_extra=UPDATE_BODY
)
async def replace_dataloader(name: str, request: Request, clients: ClientsDep) -> Response:
    """Replace the dataloader file: `{datasets: [...], file?, etag?, ensure_text_embeds?, request_id?}` (or the
    bare list).

    Every entry is checked first. With problems nothing is written and the answer is 400 `{detail, errors:
    [{field, message, index, dataset_id, key}], warnings}`, each naming its entry and key (`datasets[1].crop`)
    and saying what to fix. `etag` (or an `If-Match` header) from the GET refuses with 409 a file changed in
    between; `ensure_text_embeds` adds the environment's default text_embeds entry when the list has none.
    """
    update = await _update_request(_bare(name), request)
    reply = await clients.datasets.UpdateDataloaderConfig(update)
    warnings = problems_json(reply.warnings)
    if not reply.saved:
        count = len(reply.errors)
        detail = f"nothing was written: {count} problem{'s' * (count != 1)} to fix first"
        body = {"detail": detail, "errors": problems_json(reply.errors), "warnings": warnings}
        return Response(json.dumps(body), status_code=400, media_type="application/json")
    fields = {
        "message": f"Saved {reply.path}",
        "environment": reply.environment,
        "path": reply.path,
        "absolute_path": reply.absolute_path,
        "etag": reply.etag,
        "replayed": reply.replayed,
        "config_updated": reply.config_updated,
        "warnings": warnings,
    }
    return with_raw(fields, datasets=reply.datasets_json or "null")


async def _update_request(name: str, request: Request) -> datasets_pb2.UpdateDataloaderConfigRequest:
    try:
        body = jsontext.loads((await request.body()).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, "the body must be JSON: {datasets: [...]} or the list of datasets itself") from None
    if isinstance(body, list):
        body = {"datasets": body}
    if not isinstance(body, dict) or not isinstance(body.get("datasets"), list):
        raise HTTPException(422, "the body needs `datasets`: the list of dataset entries")
    options = {key: body.get(key, "") for key in ("file", "etag", "request_id")}
    if not all(isinstance(value, str) for value in options.values()):
        raise HTTPException(422, "`file`, `etag` and `request_id` must be text")
    ensure = body.get("ensure_text_embeds", False)
    if not isinstance(ensure, bool):
        raise HTTPException(422, "`ensure_text_embeds` must be true or false")
    return datasets_pb2.UpdateDataloaderConfigRequest(
        environment=name,
        datasets_json=jsontext.dumps(body["datasets"]),
        ensure_text_embeds=ensure,
        file=options["file"],
        etag=options["etag"] or request.headers.get("if-match", "").strip('"'),
        request_id=options["request_id"],
    )
