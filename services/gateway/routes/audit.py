"""The audit log (/api/audit): list with filters, verify the hash chain, prune with a kept anchor."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.common.v1.access_pb2 import PERMISSION_ADMIN_AUDIT, PERMISSION_ADMIN_CONFIG
from simpletuner.libs.timestamps import timestamp

from ..deps import ClientsDep
from ..security import requires
from .presenters import iso

router = APIRouter(prefix="/api/audit", tags=["audit"])


def audit_json(event: auth_pb2.AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "timestamp": iso(event.create_time),
        "event_type": event.event_type,
        "actor_id": event.actor_id or None,
        "actor_username": event.actor_username or None,
        "actor_ip": event.actor_ip or None,
        "target_type": event.target_type or None,
        "target_id": event.target_id or None,
        "details": json.loads(event.details_json or "{}"),
        "entry_hash": event.entry_hash,
    }


@router.get("", dependencies=[Depends(requires(PERMISSION_ADMIN_AUDIT))])
async def list_audit_events(
    clients: ClientsDep,
    event_type: Annotated[str, Query(description="Only types starting with this, e.g. auth. or user.created")] = "",
    actor_id: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Audit entries, newest first: `{events, total, limit, offset}`."""
    reply = await clients.auth.ListAuditEvents(
        auth_pb2.ListAuditEventsRequest(
            event_type_prefix=event_type,
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            start_time=timestamp(since),
            end_time=timestamp(until),
            page_size=limit,
            offset=offset,
        )
    )
    return {"events": [audit_json(e) for e in reply.events], "total": reply.total, "limit": limit, "offset": offset}


@router.get("/verify", dependencies=[Depends(requires(PERMISSION_ADMIN_AUDIT))])
async def verify_audit_log(clients: ClientsDep) -> dict[str, Any]:
    """Check the HMAC chain: `{valid, checked, first_broken_id, message}`; an edited or deleted entry shows."""
    reply = await clients.auth.VerifyAuditLog(auth_pb2.VerifyAuditLogRequest())
    return {
        "valid": reply.valid,
        "checked": reply.checked,
        "first_broken_id": reply.first_broken_id or None,
        "message": reply.message,
    }


@router.post("/prune", dependencies=[Depends(requires(PERMISSION_ADMIN_CONFIG))])
async def prune_audit_log(
    clients: ClientsDep, older_than_days: Annotated[int, Query(ge=1, le=3650)] = 365
) -> dict[str, Any]:
    """Delete entries older than `older_than_days`; the chain stays verifiable from its anchor."""
    reply = await clients.auth.PruneAuditLog(auth_pb2.PruneAuditLogRequest(older_than_days=older_than_days))
    return {"success": True, "deleted": reply.deleted}
