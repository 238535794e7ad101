"""Webhooks: SimpleTuner's `--webhook_config` targets, fed by a durable NATS subscriber."""
