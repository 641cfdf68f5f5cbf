"""Inventory events, written to the outbox in the caller's transaction.

`inventory.changed` announces every change of on hand (a movement); `inventory.low_stock`
that a stock row's available quantity fell to or below its threshold (it fires once per
crossing, not on every sale below it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from souk.db.outbox import append
from souk.inventory.stock import Changed

CHANGED = "inventory.changed"
LOW_STOCK = "inventory.low_stock"

Emit = Callable[[str, dict[str, Any]], None]


def session_emitter(session: Session) -> Emit:
    """For functions other domains call inside their own transaction: the event rides in
    that transaction; the dispatcher picks it up on its next poll."""

    def emit(name: str, payload: dict[str, Any]) -> None:
        append(session, name, payload)

    return emit


def crossed_low(*, before: int, after: int, threshold: int) -> bool:
    return after <= threshold < before


def low_stock_payload(*, sku: str, location: str, available: int, threshold: int) -> dict[str, Any]:
    return {"sku": sku, "location": location, "available": available, "threshold": threshold}


def low_stock_after_commit(
    emit: Emit, sku: str, location: str, units: int, changed: Changed
) -> None:
    """`inventory.low_stock` if committing `units` made available cross the threshold."""
    after = changed.figures.available
    threshold = changed.low_stock_threshold
    if crossed_low(before=after + units, after=after, threshold=threshold):
        emit(
            LOW_STOCK,
            low_stock_payload(sku=sku, location=location, available=after, threshold=threshold),
        )
