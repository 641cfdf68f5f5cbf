"""The event stream on NATS JetStream: the outbox relay and durable consumers, used in place
of the in-process dispatcher when SOUK_NATS_URL is set (docs/operations.md)."""
