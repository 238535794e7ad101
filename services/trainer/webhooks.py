"""Each job's webhooks, read from the config it trains (the notifier asks once per event, so answers are cached)."""

from __future__ import annotations

import asyncio
import json
import logging

from simpletuner.libs.db.database import Database
from simpletuner.libs.notify.targets import JobWebhooks, parse_webhook_config

from . import store

log = logging.getLogger("simpletuner.trainer.webhooks")


class JobWebhookLookup:
    """`targets_for(job_id)` for the WebhookNotifier, from the trainer's run records."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._known: dict[str, JobWebhooks | None] = {}

    async def __call__(self, job_id: str) -> JobWebhooks | None:
        if job_id not in self._known:
            self._known[job_id] = await asyncio.to_thread(self._read, job_id)
        return self._known[job_id]

    def _read(self, job_id: str) -> JobWebhooks | None:
        with self._db.session() as db:
            run = store.run_of_job(db, job_id)
            config = json.loads(run.config_json) if run is not None else {}
        try:
            targets = parse_webhook_config(config.get("webhook_config"))
        except ValueError as exc:  # the validator refuses these; a config edited by hand may still have one
            log.warning("job %s: webhook_config ignored: %s", job_id, exc)
            return None
        interval = config.get("webhook_reporting_interval")
        return JobWebhooks(tuple(targets), int(interval) if interval else None) if targets else None
