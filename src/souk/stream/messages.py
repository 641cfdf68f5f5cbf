"""How a domain event travels on the stream: its subject, its message id (the outbox id,
so that JetStream drops a re-published duplicate), and its JSON body."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from souk.db.outbox import Event, Handler

MSG_ID = "Nats-Msg-Id"
MAX_DURABLE = 200


def subject(prefix: str, event_name: str) -> str:
    return f"{prefix}.{event_name}"


def filter_subject(prefix: str, subscribed: str) -> str:
    return f"{prefix}.>" if subscribed == "*" else subject(prefix, subscribed)


def encode(event: Event) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "name": event.name,
            "payload": event.payload,
            "created_at": event.created_at.isoformat(),
        },
        separators=(",", ":"),
    ).encode()


def decode(data: bytes) -> Event:
    body: dict[str, Any] = json.loads(data)
    return Event(
        id=int(body["id"]),
        name=str(body["name"]),
        payload=dict(body["payload"]),
        created_at=datetime.fromisoformat(body["created_at"]),
    )


def durable_name(subscribed: str, handler: Handler) -> str:
    """Stable across restarts and processes: the handler's qualified name and its event, so
    every worker process shares one durable consumer per (handler, event)."""
    # A callable object may name itself (`consumer_name`), else its class names it.
    name = getattr(handler, "consumer_name", None) or getattr(
        handler, "__qualname__", type(handler).__qualname__
    )
    raw = f"{handler.__module__}.{name}.{subscribed}"
    raw = raw.replace(".<locals>", "")
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)[-MAX_DURABLE:]
