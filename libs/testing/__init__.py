"""Test support that starts real parts: nats-server, the whole stack, temporary databases."""
