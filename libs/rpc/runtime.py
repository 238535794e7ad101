"""What a running service instance holds: its identity, database and bus."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simpletuner.api.common.v1 import common_pb2
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.db.database import Database
from simpletuner.libs.rpc.auth_client import AuthClient
from simpletuner.libs.rpc.denials import Denial
from simpletuner.libs.timestamps import timestamp
from simpletuner.libs.version import VERSION


@dataclass
class ServiceRuntime:
    """A service instance's dependencies, handed to its servicers."""

    name: str
    database: Database
    bus: Bus
    schema_revision: str
    auth: AuthClient | None = None
    instance_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    start_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def report_denial(self, denial: Denial) -> None:
        """Send a refused call to the audit log (when this service has a line to auth)."""
        if self.auth is not None:
            self.auth.record(denial.audit_event(self.name))

    @property
    def source(self) -> str:
        """How this instance signs the events it publishes."""
        return f"{self.name}/{self.instance_id}"

    async def describe(self) -> common_pb2.ServiceInfo:
        """ServiceInfo with fresh probes of the database and the bus."""
        db_error = await asyncio.to_thread(self.database.ping)
        return common_pb2.ServiceInfo(
            service=self.name,
            version=VERSION,
            instance_id=self.instance_id,
            start_time=timestamp(self.start_time),
            schema_revision=self.schema_revision,
            dependencies=[
                common_pb2.DependencyStatus(name="database", healthy=not db_error, detail=db_error or "ok"),
                common_pb2.DependencyStatus(
                    name="bus", healthy=self.bus.connected, detail="ok" if self.bus.connected else "disconnected"
                ),
            ],
        )
