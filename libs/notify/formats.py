"""Webhook request bodies: the SimpleTuner payload for raw targets, one text message for Discord and Slack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simpletuner.libs.notify.targets import WebhookTarget

# Discord rejects content over 2000 characters; Slack truncates text past 40000 and advises under 4000.
_TEXT_LIMITS = {"discord": 2000, "slack": 4000}


def request_body(target: WebhookTarget, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body to POST to `target` for one event."""
    if target.webhook_type == "raw":
        return _raw(target, payload)
    text = _text(target, payload)
    limit = _TEXT_LIMITS[target.webhook_type]
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"content": text} if target.webhook_type == "discord" else {"text": text}


def _raw(target: WebhookTarget, payload: Mapping[str, Any]) -> dict[str, Any]:
    body = dict(payload)
    if target.message_prefix:
        for key in ("title", "message"):
            if body.get(key):
                body[key] = f"{target.message_prefix} {body[key]}"
    return body


def _text(target: WebhookTarget, payload: Mapping[str, Any]) -> str:
    """Title in bold, then the message and (for validation images) the prompt, each once."""
    bold = "**" if target.webhook_type == "discord" else "*"
    title, message, body = (str(payload.get(key) or "") for key in ("title", "message", "body"))
    lines = [f"{bold}{title}{bold}" if title else ""]
    lines += [line for line in (message, body) if line and line != title]
    # SimpleTuner's chat prefix: `(prefix)` before the text.
    prefix = f"`({target.message_prefix})` " if target.message_prefix else ""
    return prefix + "\n".join(line for line in lines if line)
