"""Model families and their flavours (/api/models): the releases `--model_flavour` names, the settings each
pre-enables, whether to quantise, and the training presets the configuration wizard offers.

The memory presets of a family (`/{family}/acceleration-presets`) are routes/presets.py's.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from simpletuner.api.common.v1.access_pb2 import PERMISSION_CONFIG_VIEW
from simpletuner.libs.options import flavours, training_presets, validation

from ..security import requires

router = APIRouter(prefix="/api/models", tags=["models"])
VIEW = [Depends(requires(PERMISSION_CONFIG_VIEW))]


def _family(name: str) -> flavours.Family:
    family = flavours.FAMILIES.get(name)
    if family is None:
        raise HTTPException(404, f"no model family named {name}; use one of: {', '.join(flavours.FAMILIES)}")
    return family


def flavours_json(family: flavours.Family) -> list[dict[str, Any]]:
    return [flavour.as_dict() for flavour in flavours.flavours_of(family.name)]


def family_json(family: flavours.Family) -> dict[str, Any]:
    presets = [
        preset.as_dict()
        for model_type in training_presets.MODEL_TYPES
        for preset in training_presets.presets_for(model_type)
    ]
    return {
        "name": family.name,
        "label": family.label,
        "description": family.description,
        "default_flavour": flavours.default_of(family.name).name,
        "flavours": flavours_json(family),
        "quantisation": family.quantisation(),
        "training_presets": presets,
    }


def _as_text(value: Any) -> str:
    """A value as the browser's String() spells it (true, not True)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def unsupported_json() -> dict[str, dict[str, Any]]:
    """Values the catalogue lists that this trainer refuses yet, with the fix the validator gives."""
    return {
        name: {"values": [_as_text(v) for v in values], "fix": fix}
        for name, (values, fix) in validation.NOT_YET.items()
    }


@router.get("", dependencies=VIEW)
async def list_families() -> dict[str, Any]:
    """Every family: `{families: [{name, label, description, default_flavour, flavours, quantisation: {advised,
    advice, recommended}, training_presets}], count, unsupported}`; `unsupported` maps an option to the values
    the trainer refuses yet and the fix."""
    found = [family_json(family) for family in flavours.FAMILIES.values()]
    return {"families": found, "count": len(found), "unsupported": unsupported_json()}


@router.get("/{family}", dependencies=VIEW)
async def get_family(family: str) -> dict[str, Any]:
    """One family, as in the list (404 names the families)."""
    return family_json(_family(family))


@router.get("/{family}/flavours", dependencies=VIEW)
async def list_flavours(family: str) -> dict[str, Any]:
    """The family's flavours, its usual release first: `{family, flavours: [{name, label, description,
    pretrained_model_name_or_path, settings, default}]}`; `settings` are the catalogue options each pre-enables."""
    return {"family": family, "flavours": flavours_json(_family(family))}
