"""Memory optimisation presets per model family (/api/models/{family}/acceleration-presets)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException

from simpletuner.api.common.v1.access_pb2 import PERMISSION_CONFIG_VIEW
from simpletuner.libs.options import MODEL_FAMILIES, memory_presets

from ..security import requires

# A router of its own: the rest of /api/models is routes/models.py's.
router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("/{family}/acceleration-presets", dependencies=[Depends(requires(PERMISSION_CONFIG_VIEW))])
async def acceleration_presets(family: str, model_type: Literal["lora", "full"] = "lora") -> dict[str, Any]:
    """The family's memory presets, mildest first: `{family, model_type, presets: [{name, label, description,
    settings}]}`; each preset's `settings` are catalogue options and the values it sets them to.

    `model_type=full` leaves out what only a LoRA run can use (quantising the base model)."""
    try:
        presets = memory_presets.presets_for(family, model_type)
    except KeyError:
        raise HTTPException(404, f"no model family named {family}; use one of {', '.join(MODEL_FAMILIES)}") from None
    return {"family": family, "model_type": model_type, "presets": [preset.as_dict() for preset in presets]}
