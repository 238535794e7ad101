"""The event bus: NATS JetStream subjects, streams and publishing."""
