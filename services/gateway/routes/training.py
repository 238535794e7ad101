"""Training (/api/training): checking a config before a run (runs: training_runs.py; events: training_events.py)."""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from simpletuner.api.common.v1.access_pb2 import PERMISSION_CONFIG_VIEW
from simpletuner.api.config.v1 import config_pb2

from ..deps import ClientsDep
from ..security import requires
from .training_forms import form_fields, wants_html

router = APIRouter(prefix="/api/training", tags=["training"])


async def _validate(request: Request, clients: ClientsDep) -> Response:
    form = await form_fields(request)
    reply = await clients.config.ValidateConfig(
        config_pb2.ValidateConfigRequest(
            fields=form.fields,
            environment=form.environment,
            use_environment_defaults=form.use_defaults,
            disabled_fields=form.disabled,
        )
    )
    body = {
        "valid": reply.valid,
        "message": "Configuration Valid" if reply.valid else "Configuration Invalid",
        "errors": [{"field": e.field, "message": e.message} for e in reply.errors],
        "warnings": [{"field": w.field, "message": w.message} for w in reply.warnings],
        "environment": reply.environment or None,
        "config": json.loads(reply.resolved_json),
    }
    if wants_html(request):
        return HTMLResponse(_fragment(body))
    return JSONResponse(body)


def _fragment(body: dict[str, Any]) -> str:
    """The web UI's alert: green when valid, otherwise the list of problems."""
    if body["valid"]:
        notes = "".join(f"<li>{html.escape(w['field'])}: {html.escape(w['message'])}</li>" for w in body["warnings"])
        extra = f"<ul>{notes}</ul>" if notes else ""
        return f'<div class="alert alert-success" role="status"><strong>Configuration Valid</strong>{extra}</div>'
    items = "".join(
        f"<li><code>--{html.escape(e['field'])}</code>: {html.escape(e['message'])}</li>" for e in body["errors"]
    )
    return f'<div class="alert alert-danger" role="alert"><strong>Configuration Invalid</strong><ul>{items}</ul></div>'


@router.post("/validate", dependencies=[Depends(requires(PERMISSION_CONFIG_VIEW))])
async def validate(request: Request, clients: ClientsDep) -> Response:
    """Check form fields (`-F --option=value`) merged over your active environment (or the one named by the
    `environment` field).

    `__disabled_fields__` (comma list) drops fields, `merge_environment_config=false` leaves out the default
    environment, `__active_tab__` is ignored. JSON `{valid, message, errors[{field, message}], warnings, config}`,
    or an HTML fragment when the web UI asks (`HX-Request: true`).
    """
    return await _validate(request, clients)


@router.post("/configuration/check", dependencies=[Depends(requires(PERMISSION_CONFIG_VIEW))])
async def configuration_check(request: Request, clients: ClientsDep) -> Response:
    """The same as POST /api/training/validate (SimpleTuner's older path)."""
    return await _validate(request, clients)
