"""Datetimes to protobuf Timestamps (the one conversion every service and the gateway use)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp for an aware datetime; None stays None (an unset field)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp
