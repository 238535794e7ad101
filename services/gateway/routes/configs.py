"""Environments (/api/configs): list, create (also from examples), read, replace, delete, activate, copy,
rename, export/import, dataloader regeneration and LyCORIS configs.

Configs travel as the exact text of config.json (numbers keep their spelling), so responses that carry
a config are assembled around that text instead of being re-serialised, and bodies that carry one are
read with libs.jsontext rather than pydantic.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from simpletuner.api.common.v1 import access_pb2 as p
from simpletuner.api.config.v1 import config_pb2
from simpletuner.libs import jsontext

from ..deps import ClientsDep
from ..security import requires

router = APIRouter(prefix="/api/configs", tags=["configurations"])


def needs(permission: int) -> list[Any]:
    return [Depends(requires(permission))]


class NewEnvironment(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    model_family: str = ""  # required unless `example` is given (then it comes from the example)
    model_flavour: str = ""
    model_type: Literal["lora", "full", ""] = ""
    lora_type: Literal["standard", "lycoris", ""] = ""
    description: str = ""
    tags: list[str] = []
    example: str = ""


class NewDataloader(BaseModel):
    path: str = ""
    include_defaults: bool = True


class Rename(BaseModel):
    new_name: str = Field(min_length=1, max_length=100)


class Copy(BaseModel):
    target_name: str = Field(min_length=1, max_length=100)


class MetadataChange(BaseModel):
    """A change of an environment's metadata only (its config stays as stored)."""

    model_config = ConfigDict(extra="forbid")
    description: str | None = None
    tags: list[str] | None = None
    use_environment_defaults: bool | None = Field(
        None, description='"Use environment defaults": merge the default environment\'s config into its runs'
    )


def metadata_json(environment: config_pb2.Environment) -> dict[str, Any]:
    meta = environment.metadata
    return {
        "name": environment.name,
        "description": meta.description,
        "tags": list(meta.tags),
        "owner_id": meta.owner_id or None,
        "created_at": meta.create_time or None,
        "updated_at": meta.update_time or None,
        "dataloaders": list(environment.dataloaders),
        "is_active": environment.is_active,
        "unknown_keys": list(environment.unknown_keys),
        "model_family": environment.model_family or None,
        "model_type": environment.model_type or None,
        "use_environment_defaults": meta.use_environment_defaults,
    }


def with_raw(fields: dict[str, Any], **raw: str) -> Response:
    """`{...fields, key: <raw JSON text>...}` as a JSON response, each raw text spliced in verbatim."""
    parts = [json.dumps(fields)[1:-1]] if fields else []
    parts += [f"{json.dumps(key)}: {text}" for key, text in raw.items()]
    return Response("{" + ", ".join(parts) + "}", media_type="application/json")


def with_config(source: config_pb2.Environment, /, **fields: Any) -> Response:
    """`{...fields, "config": <config.json verbatim>}` as a JSON response."""
    return with_raw(fields, config=source.config_json)


def problems_json(found: Any) -> list[dict[str, str]]:
    return [{"field": problem.field, "message": problem.message} for problem in found]


@router.get("/", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def list_configs(clients: ClientsDep, config_type: Literal["model", "dataloader"] = "model") -> dict[str, Any]:
    """Environments (`config_type=model`) or their dataloader files (`dataloader`), and your active one."""
    reply = await clients.config.ListEnvironments(config_pb2.ListEnvironmentsRequest())
    if config_type == "dataloader":
        configs = [
            {"name": f"{e.name}/{file}", "environment": e.name} for e in reply.environments for file in e.dataloaders
        ]
    else:
        configs = [metadata_json(environment) for environment in reply.environments]
    return {"configs": configs, "active": reply.active or None, "count": len(configs), "config_type": config_type}


@router.post("/environments", status_code=201, dependencies=needs(p.PERMISSION_CONFIG_CREATE))
async def create_environment(body: NewEnvironment, clients: ClientsDep) -> Response:
    """Create an environment: from `example` (see GET /api/configs/examples) when given, else from the default
    one with a starter multidatabackend.json (and a starter lycoris_config.json for lora_type=lycoris)."""
    reply = await clients.config.CreateEnvironment(config_pb2.CreateEnvironmentRequest(**body.model_dump()))
    environment = reply.environment
    response = with_config(
        environment,
        message=f"Environment {environment.name} created",
        environment=metadata_json(environment),
        dataloader={"path": f"{environment.name}/multidatabackend.json"},
    )
    response.status_code = 201
    return response


@router.get("/active", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def active_environment(clients: ClientsDep) -> Response:
    """Your active environment: `{name, metadata, config}`."""
    listing = await clients.config.ListEnvironments(config_pb2.ListEnvironmentsRequest())
    if not listing.active:
        raise HTTPException(404, "no active environment; activate one with POST /api/configs/{name}/activate")
    environment = (
        await clients.config.GetEnvironment(config_pb2.GetEnvironmentRequest(name=listing.active))
    ).environment
    return with_config(environment, name=environment.name, metadata=metadata_json(environment))


@router.get("/examples", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def list_examples(clients: ClientsDep) -> dict[str, Any]:
    """Example environments to start from: `POST /api/configs/environments` with `example` copies one."""
    reply = await clients.config.ListExamples(config_pb2.ListExamplesRequest())
    found = [
        {
            "name": example.name,
            "description": example.description,
            "model_family": example.model_family,
            "model_type": example.model_type,
            "lora_type": example.lora_type or None,
            "self_contained": example.self_contained,
        }
        for example in reply.examples
    ]
    return {"examples": found, "count": len(found)}


@router.post("/import", status_code=201, dependencies=needs(p.PERMISSION_CONFIG_CREATE))
async def import_environment(request: Request, clients: ClientsDep) -> Response:
    """Create an environment from an export: `{data, name?, overwrite?}`.

    `data` is the document from `GET /api/configs/{name}/export` (or a bare config object, or either as a
    JSON string); `name` defaults to the document's `_metadata.name`. An existing name answers 409 unless
    `overwrite` is true. You own the result, whoever exported it.
    """
    body = await _json_object(request)
    data, name, overwrite = body.get("data"), body.get("name") or "", body.get("overwrite", False)
    if not isinstance(data, dict | str) or not isinstance(name, str) or not isinstance(overwrite, bool):
        raise HTTPException(422, "the body needs `data` (the exported document), optional `name` and `overwrite`")
    document = data if isinstance(data, str) else jsontext.dumps(data)
    wanted = config_pb2.ImportEnvironmentRequest(document_json=document, name=_bare(name), overwrite=overwrite)
    environment = (await clients.config.ImportEnvironment(wanted)).environment
    response = with_config(
        environment, message=f"Environment {environment.name} imported", environment=metadata_json(environment)
    )
    response.status_code = 201
    return response


@router.post("/lycoris/validate", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def validate_lycoris(request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Check a LyCORIS config (the body, or `{lycoris_config: {...}}`) without storing it."""
    text = await _lycoris_text(request)
    reply = await clients.config.ValidateLycorisConfig(
        config_pb2.ValidateLycorisConfigRequest(lycoris_config_json=text)
    )
    return {"valid": reply.valid, "errors": problems_json(reply.errors), "warnings": problems_json(reply.warnings)}


@router.get("/environments/{name}/lycoris", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def get_lycoris(name: str, clients: ClientsDep) -> Response:
    """The environment's lycoris_config.json: `{name, lycoris_config}` (null when it has none)."""
    reply = await clients.config.GetLycorisConfig(config_pb2.GetLycorisConfigRequest(name=_bare(name)))
    return with_raw({"name": _bare(name)}, lycoris_config=reply.lycoris_config_json or "null")


@router.put("/environments/{name}/lycoris", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN))
async def replace_lycoris(name: str, request: Request, clients: ClientsDep) -> Response:
    """Replace lycoris_config.json (the body, or `{lycoris_config: {...}}`), checked first.

    A config that names no LyCORIS file is pointed at this one; `warnings` say when the config would not
    read it (another lycoris_config path, or lora_type not lycoris).
    """
    text = await _lycoris_text(request)
    update = config_pb2.UpdateLycorisConfigRequest(name=_bare(name), lycoris_config_json=text)
    reply = await clients.config.UpdateLycorisConfig(update)
    fields = {"message": f"LyCORIS config of {_bare(name)} saved", "warnings": problems_json(reply.warnings)}
    return with_raw(fields, lycoris_config=reply.lycoris_config_json)


@router.get("/{name}", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def get_environment(name: str, clients: ClientsDep) -> Response:
    """One environment: `{name, metadata, config_type, config}` with config.json exactly as stored."""
    reply = await clients.config.GetEnvironment(config_pb2.GetEnvironmentRequest(name=_bare(name)))
    environment = reply.environment
    return with_config(environment, name=environment.name, metadata=metadata_json(environment), config_type="model")


@router.put("/{name}", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN))
async def replace_environment(name: str, request: Request, clients: ClientsDep) -> dict[str, Any]:
    """Replace the config (and metadata): `{name, description?, tags?, use_environment_defaults?, config: {...}}`.

    Keys are stored as sent (`--opt` or `opt`) and numbers keep their spelling; unknown keys are kept and
    listed under `validation.warnings`.
    """
    body = await _json_object(request)
    if not isinstance(body.get("config"), dict):
        raise HTTPException(422, "the body needs a `config` object of options")
    update = config_pb2.UpdateEnvironmentRequest(name=_bare(name), config_json=jsontext.dumps(body["config"]))
    if isinstance(body.get("description"), str):
        update.description = body["description"]
    if isinstance(body.get("tags"), list):
        update.tags.extend(str(tag) for tag in body["tags"])
        update.replace_tags = True
    if isinstance(body.get("use_environment_defaults"), bool):
        update.use_environment_defaults = body["use_environment_defaults"]
    environment = (await clients.config.UpdateEnvironment(update)).environment
    warnings = [f"unknown option {key} kept as written" for key in environment.unknown_keys]
    return {
        "message": f"Environment {environment.name} saved",
        "metadata": metadata_json(environment),
        "validation": {"warnings": warnings, "suggestions": []},
    }


@router.patch("/{name}", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN))
async def change_metadata(name: str, body: MetadataChange, clients: ClientsDep) -> dict[str, Any]:
    """Change the description, tags or "Use environment defaults" switch, leaving the config as stored."""
    update = config_pb2.UpdateEnvironmentRequest(name=_bare(name))
    if body.description is not None:
        update.description = body.description
    if body.tags is not None:
        update.tags.extend(body.tags)
        update.replace_tags = True
    if body.use_environment_defaults is not None:
        update.use_environment_defaults = body.use_environment_defaults
    environment = (await clients.config.UpdateEnvironment(update)).environment
    return {"message": f"Environment {environment.name} saved", "metadata": metadata_json(environment)}


@router.delete("/{name}", dependencies=needs(p.PERMISSION_CONFIG_DELETE_OWN))
async def delete_environment(name: str, clients: ClientsDep) -> dict[str, Any]:
    """Delete an environment (not your active one)."""
    listing = await clients.config.ListEnvironments(config_pb2.ListEnvironmentsRequest())
    if listing.active == _bare(name):
        raise HTTPException(400, f"{name} is your active environment; activate another one first")
    await clients.config.DeleteEnvironment(config_pb2.DeleteEnvironmentRequest(name=_bare(name)))
    return {"message": f"Environment {name} deleted"}


@router.post("/{name}/activate", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def activate_environment(name: str, clients: ClientsDep) -> dict[str, Any]:
    """Make it your active environment (what training and validation use by default)."""
    reply = await clients.config.ActivateEnvironment(config_pb2.ActivateEnvironmentRequest(name=_bare(name)))
    return {"message": f"Environment {reply.environment.name} is active", "active": reply.environment.name}


@router.post("/{name}/copy", status_code=201, dependencies=needs(p.PERMISSION_CONFIG_CREATE))
async def copy_environment(name: str, body: Copy, clients: ClientsDep) -> dict[str, Any]:
    """Copy an environment (config, dataloaders, LyCORIS file) under a new name you own."""
    request = config_pb2.CopyEnvironmentRequest(name=_bare(name), target_name=body.target_name)
    environment = (await clients.config.CopyEnvironment(request)).environment
    return {"message": f"Copied {name} to {environment.name}", "environment": metadata_json(environment)}


@router.post("/{name}/rename", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN))
async def rename_environment(name: str, body: Rename, clients: ClientsDep) -> dict[str, Any]:
    """Rename an environment."""
    request = config_pb2.RenameEnvironmentRequest(name=_bare(name), new_name=body.new_name)
    environment = (await clients.config.RenameEnvironment(request)).environment
    return {"message": f"Renamed {name} to {environment.name}", "environment": metadata_json(environment)}


@router.get("/{name}/export", dependencies=needs(p.PERMISSION_CONFIG_VIEW))
async def export_environment(name: str, clients: ClientsDep, include_metadata: bool = True) -> Response:
    """Download the environment as one JSON document: `{_metadata?, config, dataloaders, lycoris_config?}`.

    The config and dataloaders are exactly as stored; `POST /api/configs/import` takes the document back.
    """
    request = config_pb2.ExportEnvironmentRequest(name=_bare(name), include_metadata=include_metadata)
    reply = await clients.config.ExportEnvironment(request)
    # the service refused any name outside [A-Za-z0-9._-], so it is safe inside the quoted filename
    disposition = f'attachment; filename="{_bare(name)}.json"'
    return Response(reply.document_json, media_type="application/json", headers={"Content-Disposition": disposition})


@router.post("/{name}/dataloader", dependencies=needs(p.PERMISSION_CONFIG_EDIT_OWN))
async def regenerate_dataloader(name: str, body: NewDataloader, clients: ClientsDep) -> Response:
    """Write a fresh starter dataloader (`include_defaults=false`: an empty list) and point the config at it.

    `path` is a `multidatabackend*.json` file in the environment's folder (default multidatabackend.json).
    """
    request = config_pb2.RegenerateDataloaderRequest(
        name=_bare(name), path=body.path, include_defaults=body.include_defaults
    )
    reply = await clients.config.RegenerateDataloader(request)
    fields = {"message": f"Wrote {reply.path}", "path": reply.path, "absolute_path": reply.absolute_path}
    return with_raw(fields, dataloader=reply.dataloader_json)


def _bare(name: str) -> str:
    """`my-env.json` names the environment `my-env`, as SimpleTuner accepts."""
    return name.removesuffix(".json")


async def _lycoris_text(request: Request) -> str:
    """The LyCORIS config a body carries, as exact JSON text: the body itself, or its `lycoris_config`."""
    text = (await request.body()).decode("utf-8")
    try:
        body = jsontext.loads(text)
    except ValueError:
        return text  # the service reports what is wrong with it, naming the field
    if isinstance(body, dict) and isinstance(body.get("lycoris_config"), dict) and "algo" not in body:
        return jsontext.dumps(body["lycoris_config"])
    return text


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = jsontext.loads((await request.body()).decode("utf-8"))
    except ValueError:
        raise HTTPException(422, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "the body must be a JSON object")
    return body
