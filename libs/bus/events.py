"""Building and reading events.v1.Event envelopes."""

from __future__ import annotations

import uuid
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from simpletuner.api.events.v1 import events_pb2


def new_event(source: str, **payload: Any) -> events_pb2.Event:
    """An event with a fresh id and the current time; `payload` names one field of the payload oneof."""
    now = Timestamp()
    now.GetCurrentTime()
    return events_pb2.Event(id=str(uuid.uuid4()), time=now, source=source, **payload)


def event_type(event: events_pb2.Event) -> str:
    """The event's type: the name of the payload field it carries."""
    return event.WhichOneof("payload") or "unknown"


def event_to_dict(event: events_pb2.Event) -> dict[str, Any]:
    """JSON-ready form with proto field names, as the HTTP API and webhooks send it."""
    data = json_format.MessageToDict(event, preserving_proto_field_name=True)
    data["type"] = event_type(event)
    return data
