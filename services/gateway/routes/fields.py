"""The options catalogue for forms and scripts (/api/fields/...), read from the config service."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from google.protobuf import json_format

from simpletuner.api.common.v1.access_pb2 import PERMISSION_CONFIG_VIEW
from simpletuner.api.config.v1 import config_pb2

from ..deps import ClientsDep
from ..security import requires

router = APIRouter(
    prefix="/api/fields", tags=["configurations"], dependencies=[Depends(requires(PERMISSION_CONFIG_VIEW))]
)


def field_json(option: config_pb2.OptionSpec) -> dict[str, Any]:
    data = json_format.MessageToDict(
        option, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    data["default"] = json.loads(data.pop("default_json"))
    data["flag"] = f"--{option.name}"
    return data


async def _catalogue(clients: ClientsDep) -> config_pb2.GetOptionCatalogueResponse:
    return await clients.config.GetOptionCatalogue(config_pb2.GetOptionCatalogueRequest())


@router.get("/metadata")
async def fields_metadata(clients: ClientsDep) -> dict[str, Any]:
    """Every option: `{fields: {name: {...}}, count, model_families}`."""
    catalogue = await _catalogue(clients)
    fields = {option.name: field_json(option) for option in catalogue.options}
    return {"fields": fields, "count": len(fields), "model_families": list(catalogue.model_families)}


@router.get("/tabs")
async def field_tabs(clients: ClientsDep) -> list[dict[str, Any]]:
    """The UI tabs in order, each with its groups and their option names."""
    tabs: dict[str, dict[str, list[str]]] = {}
    for option in (await _catalogue(clients)).options:
        tabs.setdefault(option.tab, {}).setdefault(option.group, []).append(option.name)
    return [
        {"name": tab, "groups": [{"name": group, "fields": names} for group, names in groups.items()]}
        for tab, groups in tabs.items()
    ]


@router.get("/tabs/{tab}")
async def fields_of_tab(tab: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """The options of one tab."""
    found = [field_json(option) for option in (await _catalogue(clients)).options if option.tab == tab]
    if not found:
        raise HTTPException(404, f"no tab named {tab}; GET /api/fields/tabs lists them")
    return found


@router.get("/field/{name}")
async def field(name: str, clients: ClientsDep) -> dict[str, Any]:
    """One option, by name (with or without the leading --)."""
    wanted = name.removeprefix("--")
    for option in (await _catalogue(clients)).options:
        if option.name == wanted:
            return field_json(option)
    raise HTTPException(404, f"no option named {wanted}; GET /api/fields/metadata lists them")


@router.get("/search")
async def search_fields(q: str, clients: ClientsDep) -> list[dict[str, Any]]:
    """Options whose name or help mentions `q`."""
    needle = q.lower()
    options = (await _catalogue(clients)).options
    return [field_json(o) for o in options if needle in o.name.lower() or needle in o.help.lower()]
