"""Webhook targets: parsing `--webhook_config` and deciding which events each target wants."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_TYPES = ("raw", "discord", "slack")
# SimpleTuner's levels, least severe first; a target gets events at or above its level.
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Event severities on the level scale ("success" is good news, as loud as info).
_SEVERITY_RANK = {"debug": 0, "info": 1, "success": 1, "warning": 2, "error": 3, "critical": 4}
_EXAMPLE = '[{"webhook_type": "raw", "callback_url": "https://example.com/hook", "log_level": "info"}]'


@dataclass(frozen=True)
class WebhookTarget:
    """One entry of `--webhook_config`."""

    webhook_type: str
    callback_url: str
    log_level: str = "info"
    message_prefix: str = ""
    ssl_no_verify: bool = False
    # Kept out of repr so a logged target never shows the secret.
    auth_token: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The target for logs: type, scheme and host only (Discord and Slack URLs embed their secret in the path)."""
        parts = urlsplit(self.callback_url)
        return f"{self.webhook_type} {parts.scheme}://{parts.netloc.rpartition('@')[2]}"

    def wants(self, payload: Mapping[str, Any], reporting_interval: int | None) -> bool:
        """Whether this target receives the event (a `simpletuner_payload`)."""
        if _SEVERITY_RANK.get(str(payload.get("severity")), 1) < LOG_LEVELS.index(self.log_level):
            return False
        if payload.get("type") == "training.progress":
            # As in SimpleTuner, step progress goes to raw targets only: chat channels would drown in it.
            return self.webhook_type == "raw" and _reporting_step(payload, reporting_interval)
        return True


@dataclass(frozen=True)
class JobWebhooks:
    """A job's webhook settings: its targets and `--webhook_reporting_interval`."""

    targets: tuple[WebhookTarget, ...]
    reporting_interval: int | None = None


def _reporting_step(payload: Mapping[str, Any], interval: int | None) -> bool:
    """Every `interval` steps and the last step; never without an interval."""
    if not interval:
        return False
    step, total = int(payload.get("step") or 0), int(payload.get("total_steps") or 0)
    return step % interval == 0 or (total > 0 and step == total)


def parse_webhook_config(value: Any) -> list[WebhookTarget]:
    """Targets from a JSON string, a list of objects or one object (SimpleTuner accepts both); empty is none.

    Raises ValueError saying which entry and field is wrong and how to fix it.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"webhook_config is not valid JSON ({exc.msg}); give a list like {_EXAMPLE}") from None
    entries = [value] if isinstance(value, Mapping) else value
    if not isinstance(entries, list):
        raise ValueError(f"webhook_config must be a JSON list of objects (or one object), like {_EXAMPLE}")
    return [_parse_entry(index, entry) for index, entry in enumerate(entries)]


def _parse_entry(index: int, entry: Any) -> WebhookTarget:
    where = f"webhook_config[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be an object with webhook_type and callback_url, like {_EXAMPLE}")
    webhook_type = entry.get("webhook_type")
    if webhook_type not in WEBHOOK_TYPES:
        raise ValueError(f"{where}.webhook_type must be one of {', '.join(WEBHOOK_TYPES)} (got {webhook_type!r})")
    log_level = entry.get("log_level") or "info"
    if not isinstance(log_level, str) or log_level.lower() not in LOG_LEVELS:
        raise ValueError(f"{where}.log_level must be one of {', '.join(LOG_LEVELS)} (got {log_level!r})")
    return WebhookTarget(
        webhook_type=webhook_type,
        callback_url=_callback_url(where, entry),
        log_level=log_level.lower(),
        message_prefix=_optional_text(where, entry, "message_prefix") or "",
        ssl_no_verify=_flag(where, entry, "ssl_no_verify"),
        auth_token=_optional_text(where, entry, "auth_token"),
    )


def _callback_url(where: str, entry: Mapping[str, Any]) -> str:
    # SimpleTuner's Discord entries name the URL webhook_url; accept it for every type.
    url = entry.get("callback_url") or entry.get("webhook_url")
    if not url:
        raise ValueError(f"{where}.callback_url is missing; set it to the http(s) URL that receives the events")
    if not isinstance(url, str):
        raise ValueError(f"{where}.callback_url must be a string URL (got {url!r})")
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed [IPv6] host
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}.callback_url must be an http:// or https:// URL with a host (got {url!r})")
    return url


def _optional_text(where: str, entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}.{name} must be a string (got {value!r})")
    return value or None


def _flag(where: str, entry: Mapping[str, Any], name: str) -> bool:
    value = entry.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{where}.{name} must be true or false (got {value!r})")
    return value
