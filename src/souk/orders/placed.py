"""A placed order as its reactions see it: an immutable snapshot, read once per event.

Every channel's `order.placed` has several reactions — the buyer's profile, fraud
screening, loyalty, engagement — each in a transaction of its own. What they read of the
order (its buyer, lines and totals, how it was placed) never changes once it is placed, so
the first reaction to ask reads it in one statement and leaves it on the event
(`Event.shared`) for the others; a reaction that runs alone (a redelivery, a stream
consumer) reads it for itself. The snapshot holds plain values, not rows of a session that
has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from souk.db.base import table_of
from souk.db.outbox import Event
from souk.errors import NotFound
from souk.orders.tables import OrderLineRow, OrderRow


@dataclass(frozen=True, slots=True)
class PlacedLine:
    sku: str
    quantity: int
    unit_price: int
    discount: int


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    id: str
    channel: str
    source: str
    customer_id: str | None
    cart_id: str | None
    email: str | None
    currency: str
    total: int
    placed_at: datetime
    shipping_address: dict[str, Any] | None
    fulfillment: dict[str, Any] | None
    checkout_context: dict[str, Any] | None
    lines: tuple[PlacedLine, ...]


_orders = table_of(OrderRow)
_lines = table_of(OrderLineRow)
_ORDER_COLUMNS = (
    "id", "channel", "source", "customer_id", "cart_id", "email", "currency", "total",
    "placed_at", "shipping_address", "fulfillment", "checkout_context",
)  # fmt: skip
# The order and its lines in one statement, built once (every placed order is read so).
_PLACED = (
    select(
        *(_orders.c[name] for name in _ORDER_COLUMNS),
        _lines.c.sku,
        _lines.c.quantity,
        _lines.c.unit_price,
        _lines.c.discount,
    )
    .select_from(_orders.outerjoin(_lines, _lines.c.order_id == _orders.c.id))
    .where(_orders.c.id == bindparam("order"))
    .order_by(_lines.c.position)
)
_SHARED_KEY = "placed_order"


def read_placed(session: Session, order_id: str) -> PlacedOrder:
    rows = session.execute(_PLACED, {"order": order_id}).all()
    if not rows:
        raise NotFound(f"No order {order_id!r}")
    first = rows[0]
    n = len(_ORDER_COLUMNS)
    lines = tuple(PlacedLine(*row[n:]) for row in rows if row[n] is not None)
    return PlacedOrder(**dict(zip(_ORDER_COLUMNS, first[:n], strict=True)), lines=lines)


def placed_order(event: Event | None, session: Session, order_id: str) -> PlacedOrder:
    """The order `event` announces, read in `session` by the first reaction that asks
    (every time, for a caller with no event: a reaction called directly)."""
    found = event.shared.get(_SHARED_KEY) if event is not None else None
    if isinstance(found, PlacedOrder) and found.id == order_id:
        return found
    order = read_placed(session, order_id)
    if event is not None:
        event.shared[_SHARED_KEY] = order
    return order
