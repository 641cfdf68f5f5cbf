"""Units sold per SKU, location and day, for forecasting: every channel's orders, the
tills' included, inside the caller's transaction.

A line is placed where its stock was committed (its allocations); a line without one
(a carry-out till sale, an order routed later) at the order's fulfilment location. A
cancelled order sold nothing. Returns are not subtracted: demand is what customers asked
for, not what they kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.orders.models import OrderStatus
from souk.orders.tables import OrderLineAllocationRow, OrderLineRow, OrderRow


@dataclass(frozen=True, slots=True)
class DailySales:
    sku: str
    location: str
    day: date
    units: int


def daily_sales(*, session: Session, since: datetime | None = None) -> list[DailySales]:
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for sku, location, day, units in _located_lines(session, since):
        totals[(sku, location, day)] += units
    return [DailySales(s, loc, d, u) for (s, loc, d), u in sorted(totals.items())]


def _located_lines(
    session: Session, since: datetime | None
) -> Iterator[tuple[str, str, date, int]]:
    stmt = (
        select(
            OrderLineRow.id,
            OrderLineRow.sku,
            OrderLineRow.quantity,
            OrderRow.placed_at,
            OrderRow.fulfillment,
            OrderLineAllocationRow.location,
            OrderLineAllocationRow.quantity,
        )
        .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
        .outerjoin(OrderLineAllocationRow, OrderLineAllocationRow.order_line_id == OrderLineRow.id)
        .where(OrderRow.status != OrderStatus.CANCELLED.value)
    )
    if since is not None:
        stmt = stmt.where(OrderRow.placed_at >= since)
    for _, sku, quantity, placed_at, fulfillment, at, allocated in session.execute(stmt):
        day = placed_at.date()
        if at is not None:
            yield sku, at, day, allocated
        elif fulfillment and fulfillment.get("location"):
            yield sku, fulfillment["location"], day, quantity
