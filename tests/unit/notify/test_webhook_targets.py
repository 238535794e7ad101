"""Webhook targets: `--webhook_config` parsing with messages that say what to fix, and which events each wants."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from simpletuner.libs.notify.formats import request_body
from simpletuner.libs.notify.targets import WebhookTarget, parse_webhook_config

RAW = {"webhook_type": "raw", "callback_url": "https://example.com/hook", "log_level": "info"}


def test_a_json_list_becomes_targets_with_simpletuner_defaults() -> None:
    config = json.dumps([RAW, {"webhook_type": "slack", "callback_url": "https://hooks.slack.com/services/T/B/x"}])
    assert parse_webhook_config(config) == [
        WebhookTarget("raw", "https://example.com/hook"),
        WebhookTarget("slack", "https://hooks.slack.com/services/T/B/x"),
    ]


def test_a_single_object_a_list_and_a_string_are_all_accepted() -> None:
    expected = [WebhookTarget("raw", "https://example.com/hook")]
    assert parse_webhook_config(RAW) == parse_webhook_config([RAW]) == parse_webhook_config(json.dumps(RAW)) == expected


def test_nothing_configured_means_no_targets() -> None:
    assert parse_webhook_config(None) == parse_webhook_config("") == parse_webhook_config("  ") == []
    assert parse_webhook_config("[]") == []


def test_every_field_is_read_and_a_discord_webhook_url_counts_as_the_callback_url() -> None:
    entry = {
        "webhook_type": "discord",
        "webhook_url": "https://discord.com/api/webhooks/1/secret",
        "log_level": "WARNING",
        "message_prefix": "box-1",
        "ssl_no_verify": True,
        "auth_token": "t0ken",
    }
    (target,) = parse_webhook_config([entry])
    assert target == WebhookTarget(
        "discord", "https://discord.com/api/webhooks/1/secret", "warning", "box-1", True, "t0ken"
    )
    assert "t0ken" not in repr(target)
    assert target.display == "discord https://discord.com"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[{", "webhook_config is not valid JSON"),
        ('"raw"', "webhook_config must be a JSON list of objects"),
        ([RAW, "raw"], "webhook_config[1] must be an object with webhook_type and callback_url"),
        ([{**RAW, "webhook_type": "teams"}], "webhook_config[0].webhook_type must be one of raw, discord, slack"),
        ([{"webhook_type": "raw"}], "webhook_config[0].callback_url is missing; set it to the http(s) URL"),
        ([{**RAW, "callback_url": "ftp://example.com/x"}], "webhook_config[0].callback_url must be an http:// or"),
        ([{**RAW, "callback_url": "https://"}], "webhook_config[0].callback_url must be an http:// or"),
        ([{**RAW, "callback_url": "http://[::1/x"}], "webhook_config[0].callback_url must be an http:// or"),
        ([{**RAW, "callback_url": 5}], "webhook_config[0].callback_url must be a string URL"),
        ([RAW, {**RAW, "log_level": "loud"}], "webhook_config[1].log_level must be one of debug, info, warning, error"),
        ([{**RAW, "ssl_no_verify": "yes"}], "webhook_config[0].ssl_no_verify must be true or false"),
        ([{**RAW, "auth_token": 7}], "webhook_config[0].auth_token must be a string"),
    ],
)
def test_a_bad_config_names_the_entry_the_field_and_the_fix(config: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_webhook_config(config)


def _payload(type_: str, severity: str = "info", **fields: Any) -> dict[str, Any]:
    return {"id": "e", "type": type_, "severity": severity, "title": "T", "message": "M", **fields}


@pytest.mark.parametrize(
    ("log_level", "severity", "wanted"),
    [
        ("info", "debug", False),
        ("info", "info", True),
        ("info", "success", True),
        ("warning", "info", False),
        ("warning", "error", True),
        ("error", "warning", False),
        ("critical", "error", False),
        ("debug", "debug", True),
    ],
)
def test_a_target_gets_events_at_or_above_its_log_level(log_level: str, severity: str, wanted: bool) -> None:
    target = WebhookTarget("raw", "https://example.com/hook", log_level=log_level)
    assert target.wants(_payload("training.status", severity), reporting_interval=None) is wanted


def test_progress_goes_every_interval_steps_and_at_the_last_step_to_raw_targets_only() -> None:
    raw = WebhookTarget("raw", "https://example.com/hook")
    discord = WebhookTarget("discord", "https://discord.com/api/webhooks/1/x")
    steps = [s for s in range(1, 11) if raw.wants(_payload("training.progress", step=s, total_steps=10), 4)]
    assert steps == [4, 8, 10]
    assert not discord.wants(_payload("training.progress", step=4, total_steps=10), 4)


def test_without_a_reporting_interval_no_progress_is_sent_but_everything_else_is() -> None:
    raw = WebhookTarget("raw", "https://example.com/hook")
    assert not raw.wants(_payload("training.progress", step=10, total_steps=10), None)
    for type_ in ("training.status", "lifecycle.stage", "training.checkpoint", "validation.image", "log.message"):
        assert raw.wants(_payload(type_), None)


def test_a_raw_body_is_the_payload_with_the_prefix_on_title_and_message() -> None:
    target = WebhookTarget("raw", "https://example.com/hook", message_prefix="[box-1]")
    payload = _payload("training.status", data={"status": "running"})
    assert request_body(target, payload) == {**payload, "title": "[box-1] T", "message": "[box-1] M"}
    assert request_body(WebhookTarget("raw", "https://example.com/hook"), payload) == payload


def test_discord_and_slack_get_one_text_message_with_the_title_and_message() -> None:
    payload = {**_payload("validation.image"), "title": "Validation (step 5/20)", "message": "Validation (step 5/20)"}
    payload["body"] = "a cat"
    discord = WebhookTarget("discord", "https://discord.com/api/webhooks/1/x", message_prefix="box-1")
    slack = WebhookTarget("slack", "https://hooks.slack.com/services/x")
    assert request_body(discord, payload) == {"content": "`(box-1)` **Validation (step 5/20)**\na cat"}
    assert request_body(slack, _payload("training.status")) == {"text": "*T*\nM"}


def test_a_long_discord_message_is_cut_to_discords_limit() -> None:
    target = WebhookTarget("discord", "https://discord.com/api/webhooks/1/x")
    content = request_body(target, _payload("log.message", message="x" * 5000))["content"]
    assert len(content) == 2000 and content.endswith("…")
