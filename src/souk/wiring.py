"""Connections between domains that neither side should hard-code: binding checks and
event subscriptions. Called once by the app factory and by the CLI."""

from __future__ import annotations

from souk.db.outbox import EventBus


def wire(bus: EventBus) -> None:
    """Register cross-domain checks and the in-process event handlers."""
