"""The audit log: append-only entries chained by HMAC-SHA256, verified end to end, published on the bus.

Each entry's hash covers its content and the previous entry's hash, and the chain row keeps the head
(so a deleted last entry shows) and the anchor (so pruning old entries keeps the rest verifiable).
Entries are written in the same transaction as the change they describe; a background task then
publishes every unpublished entry on NATS (an outbox: nothing is lost if the bus is down).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from simpletuner.api.auth.v1 import auth_pb2
from simpletuner.api.events.v1 import events_pb2
from simpletuner.libs import context
from simpletuner.libs.bus import subjects
from simpletuner.libs.bus.bus import Bus
from simpletuner.libs.bus.events import new_event
from simpletuner.libs.db.database import Database
from simpletuner.libs.db.types import utcnow
from simpletuner.libs.rpc.denials import Denial, DenialHandler
from simpletuner.libs.rpc.errors import InvalidArgument
from simpletuner.libs.timestamps import timestamp

from .models import AuditChain, AuditEntry

GENESIS = "genesis"
CHAIN_ROW = 1
PUBLISH_BATCH = 100
log = logging.getLogger("simpletuner.auth.audit")


@dataclass(frozen=True)
class Actor:
    """Who acts: taken from the request context unless given."""

    id: str = ""
    username: str = ""
    ip: str = ""

    @classmethod
    def from_context(cls) -> Actor:
        who = context.caller.get()
        return cls(who.subject, who.username, context.client_ip.get())


@dataclass(frozen=True)
class Filters:
    event_type_prefix: str = ""
    actor_id: str = ""
    target_type: str = ""
    target_id: str = ""
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Verification:
    valid: bool
    checked: int
    first_broken_id: int = 0
    message: str = "the audit chain is intact"


@dataclass
class AuditLog:
    """Records, lists, verifies, prunes and publishes audit entries."""

    database: Database
    key: bytes
    _pending: set[asyncio.Task[AuditEntry]] = field(default_factory=set)

    def record(
        self,
        db: DbSession,
        event_type: str,
        *,
        target_type: str = "",
        target_id: str = "",
        details: dict[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> AuditEntry:
        """Append an entry inside the caller's transaction (so it commits or rolls back with the change)."""
        actor = actor or Actor.from_context()
        chain = self._lock_chain(db)
        entry = AuditEntry(
            created_at=utcnow(),
            event_type=event_type,
            actor_id=actor.id[:100],
            actor_username=actor.username[:320],
            actor_ip=actor.ip[:64],
            target_type=target_type,
            target_id=target_id,
            details=details or {},
            previous_hash=chain.head_hash,
        )
        entry.entry_hash = self._hash(entry)
        db.add(entry)
        db.flush()
        chain.head_id, chain.head_hash = entry.id, entry.entry_hash
        return entry

    def record_alone(self, event_type: str, **kwargs: Any) -> AuditEntry:
        with self.database.session() as db:
            return self.record(db, event_type, **kwargs)

    def denial_recorder(self) -> DenialHandler:
        """Records refused calls to this very service, off the event loop."""

        def record(denial: Denial) -> None:
            event = denial.audit_event("auth")
            actor = Actor(event.actor_id, event.actor_username, event.actor_ip)
            job = asyncio.to_thread(
                self.record_alone,
                event.event_type,
                target_type=event.target_type,
                target_id=event.target_id,
                details=json.loads(event.details_json),
                actor=actor,
            )
            task = asyncio.get_running_loop().create_task(job)
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        return record

    def entries(self, filters: Filters) -> tuple[list[AuditEntry], int]:
        if not 1 <= filters.limit <= 1000:
            raise InvalidArgument("page_size must be 1 to 1000", field="page_size")
        query = select(AuditEntry)
        if filters.event_type_prefix:
            query = query.where(AuditEntry.event_type.startswith(filters.event_type_prefix, autoescape=True))
        for column, value in (
            (AuditEntry.actor_id, filters.actor_id),
            (AuditEntry.target_type, filters.target_type),
            (AuditEntry.target_id, filters.target_id),
        ):
            if value:
                query = query.where(column == value)
        if filters.start:
            query = query.where(AuditEntry.created_at >= filters.start)
        if filters.end:
            query = query.where(AuditEntry.created_at < filters.end)
        with self.database.session() as db:
            total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
            page = query.order_by(AuditEntry.id.desc()).limit(filters.limit).offset(filters.offset)
            return list(db.scalars(page)), total

    def verify(self) -> Verification:
        with self.database.session() as db:
            chain = self._chain(db)
            previous, last_id, checked = chain.anchor_hash, chain.anchor_id, 0
            for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id)):
                checked += 1
                if entry.previous_hash != previous:
                    return Verification(
                        False, checked, entry.id, f"entry {entry.id} does not follow the entry before it"
                    )
                if not hmac.compare_digest(entry.entry_hash, self._hash(entry)):
                    return Verification(False, checked, entry.id, f"entry {entry.id} was altered")
                previous, last_id = entry.entry_hash, entry.id
            if (last_id, previous) != (chain.head_id, chain.head_hash):
                return Verification(False, checked, chain.head_id, f"entry {chain.head_id} (the last) is missing")
            return Verification(True, checked)

    def prune(self, older_than: timedelta) -> int:
        """Delete old entries; the anchor keeps the hash of the last one deleted."""
        with self.database.session() as db:
            chain = self._lock_chain(db)
            doomed = list(
                db.scalars(
                    select(AuditEntry).where(AuditEntry.created_at < utcnow() - older_than).order_by(AuditEntry.id)
                )
            )
            if doomed:
                chain.anchor_id, chain.anchor_hash = doomed[-1].id, doomed[-1].entry_hash
                for entry in doomed:
                    db.delete(entry)
            return len(doomed)

    async def publish_forever(self, bus: Bus, idle_seconds: float = 0.5) -> None:
        """The outbox loop: publish unpublished entries in order and mark them; poll when idle."""
        while True:
            try:
                published = await self._publish_batch(bus)
            except Exception as exc:  # the bus or database is down: keep the entries, retry shortly
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # nats turns a cancellation into its own error
                    raise
                log.warning("audit publishing paused: %s", exc)
                published = 0
            if published < PUBLISH_BATCH:
                await asyncio.sleep(idle_seconds)

    async def _publish_batch(self, bus: Bus) -> int:
        entries = await asyncio.to_thread(self._unpublished)
        for entry in entries:
            category = entry.event_type.split(".")[0] or "other"
            event = new_event(bus.source, audit_recorded=events_pb2.AuditRecorded(entry=audit_message(entry)))
            event.id = f"audit-{entry.id}-{entry.entry_hash[:16]}"  # stable: a retried publish is stored once
            await bus.publish(subjects.AUDIT.render(category=category), event)
        if entries:
            await asyncio.to_thread(self._mark_published, [entry.id for entry in entries])
        return len(entries)

    def _unpublished(self) -> list[AuditEntry]:
        with self.database.session() as db:
            query = select(AuditEntry).where(AuditEntry.published_at.is_(None)).order_by(AuditEntry.id)
            return list(db.scalars(query.limit(PUBLISH_BATCH)))

    def _mark_published(self, ids: list[int]) -> None:
        with self.database.session() as db:
            db.execute(update(AuditEntry).where(AuditEntry.id.in_(ids)).values(published_at=utcnow()))

    def _hash(self, entry: AuditEntry) -> str:
        content = {
            "time": entry.created_at.isoformat(),
            "type": entry.event_type,
            "actor": [entry.actor_id, entry.actor_username, entry.actor_ip],
            "target": [entry.target_type, entry.target_id],
            "details": entry.details,
            "previous": entry.previous_hash,
        }
        message = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def _chain(db: DbSession) -> AuditChain:
        chain = db.get(AuditChain, CHAIN_ROW)
        if chain is None:
            chain = AuditChain(id=CHAIN_ROW, head_id=0, head_hash=GENESIS, anchor_id=0, anchor_hash=GENESIS)
            db.add(chain)
            db.flush()
        return chain

    def _lock_chain(self, db: DbSession) -> AuditChain:
        """Take the chain row for writing first, so concurrent appenders queue instead of forking the chain."""
        self._chain(db)
        db.execute(update(AuditChain).where(AuditChain.id == CHAIN_ROW).values(head_id=AuditChain.head_id))
        chain = db.get(AuditChain, CHAIN_ROW, populate_existing=True)
        assert chain is not None
        return chain


def audit_message(entry: AuditEntry) -> auth_pb2.AuditEvent:
    return auth_pb2.AuditEvent(
        id=entry.id,
        create_time=timestamp(entry.created_at),
        event_type=entry.event_type,
        actor_id=entry.actor_id,
        actor_username=entry.actor_username,
        actor_ip=entry.actor_ip,
        target_type=entry.target_type,
        target_id=entry.target_id,
        details_json=json.dumps(entry.details, sort_keys=True),
        entry_hash=entry.entry_hash,
    )
