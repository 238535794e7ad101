"""Audit entries for what callers change in the workspace (environments, datasets)."""

import json
from typing import Any

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.libs import context
from simpletuner.libs.rpc.auth_client import AuthClient


def record(auth: AuthClient | None, event_type: str, target_type: str, target_id: str, details: dict[str, Any]) -> None:
    """Send one entry to the auth service's audit log (which publishes it on NATS); no auth, no audit."""
    if auth is None:
        return
    who = context.caller.get()
    event = auth_pb2.AuditEvent(
        event_type=event_type,
        actor_id=who.subject,
        actor_username=who.username,
        actor_ip=context.client_ip.get(),
        target_type=target_type,
        target_id=target_id,
        details_json=json.dumps(details),
    )
    auth.record(event)
