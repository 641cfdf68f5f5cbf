"""Writing orders: the one way an order comes to exist, and its status changes.

Checkout, imports and the point of sale all call `record_order` inside their own
transaction; it numbers the order, computes its totals exactly (invariant 3), writes the
first status and announces `order.placed` through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from souk.channels.models import Channel
from souk.db.adopt import adopt
from souk.db.base import new_id, table_of, utcnow
from souk.db.outbox import append
from souk.errors import InvalidState, NotFound, ValidationFailed, field_error
from souk.money import is_currency
from souk.orders.models import OrderLineInput, OrderStatus, can_move, compute_totals, line_errors
from souk.orders.tables import (
    ORDER_NUMBER_START,
    OrderLineAllocationRow,
    OrderLineRow,
    OrderRow,
    OrderStatusRow,
    order_number_seq,
)

Emit = Callable[[str, dict[str, Any]], None]
SOURCES = frozenset({"checkout", "import", "pos", "admin"})


class AllocationLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def quantity(self) -> int: ...


def _outbox(session: Session) -> Emit:
    def emit(name: str, payload: dict[str, Any]) -> None:
        append(session, name, payload)

    return emit


_orders, _lines = table_of(OrderRow), table_of(OrderLineRow)
_history, _allocations = table_of(OrderStatusRow), table_of(OrderLineAllocationRow)
# Built once (every order is written with them).
_INSERT_LINES = insert(_lines).returning(_lines.c.id, _lines.c.position)
_INSERT_STATUS = insert(_history).returning(_history.c.id)
_INSERT_ALLOCATIONS = insert(_allocations).returning(
    _allocations.c.id, _allocations.c.order_line_id, _allocations.c.allocation_id
)
# The order's INSERT numbers it in the same statement and returns the number: PostgreSQL
# from its sequence; SQLite as the highest + 1, which cannot collide because SQLite writers
# hold the database lock (BEGIN IMMEDIATE). Built once per dialect.
_INSERT_ORDER = {
    "postgresql": insert(_orders)
    .values(number=order_number_seq.next_value())
    .returning(_orders.c.number),
    "sqlite": insert(_orders)
    .values(
        number=select(
            func.coalesce(func.max(_orders.c.number), ORDER_NUMBER_START - 1) + 1
        ).scalar_subquery()
    )
    .returning(_orders.c.number),
}


def _validate(
    channel: Channel, lines: Sequence[OrderLineInput], currency: str, status: str, source: str
) -> None:
    errors = [field_error(f"lines.{i}.{f}", m) for i, f, m in line_errors(lines)]
    if not lines:
        errors.append(field_error("lines", "an order has at least one line"))
    if not is_currency(currency):
        errors.append(field_error("currency", f"unknown currency {currency!r}"))
    elif not channel.sells_in(currency):
        errors.append(field_error("currency", f"channel {channel.code!r} does not sell in it"))
    if status not in {s.value for s in OrderStatus}:
        errors.append(field_error("status", f"unknown order status {status!r}"))
    if source not in SOURCES:
        errors.append(field_error("source", f"unknown source {source!r}"))
    if errors:
        raise ValidationFailed("The order is not valid", errors=errors)


def record_order(
    *,
    session: Session,
    channel: Channel,
    lines: Sequence[OrderLineInput],
    currency: str,
    customer_id: str | None = None,
    email: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    fulfillment: dict[str, Any] | None = None,
    source: str = "checkout",
    external_id: str | None = None,
    status: str = "placed",
    shipping: int = 0,
    shipping_tax: int = 0,
    cart_id: str | None = None,
    locale: str | None = None,
    placed_at: datetime | None = None,
    note: str | None = None,
    emit: Emit | None = None,
    adjustments: list[dict[str, Any]] | None = None,
    checkout_context: dict[str, Any] | None = None,
) -> OrderRow:
    """Write an order with its lines, totals and first status; announce `order.placed`.

    `emit` is the caller's `uow.emit` (it also wakes the dispatcher); without it the event
    is written to the outbox through `session` all the same. A unique violation on
    `cart_id` or on (`channel`, `external_id`) surfaces as IntegrityError from the insert:
    the caller decides what a duplicate means for it. The order is written with Core
    statements and handed back loaded (`souk.db.adopt`), its lines and history with it.
    """
    _validate(channel, lines, currency, status, source)
    now = utcnow()
    totals = compute_totals(
        lines,
        shipping=shipping,
        shipping_tax=shipping_tax,
        prices_include_tax=channel.prices_include_tax,
    )
    order_id = new_id("ord")
    values: dict[str, Any] = {
        "id": order_id,
        "channel": channel.code,
        "status": status,
        "source": source,
        "external_id": external_id,
        "cart_id": cart_id,
        "customer_id": customer_id,
        "email": email,
        "locale": locale,
        "currency": currency,
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "shipping": totals.shipping,
        "shipping_tax": shipping_tax,
        "tax": totals.tax,
        "tax_included": totals.tax_included,
        "total": totals.total,
        "prices_include_tax": channel.prices_include_tax,
        "shipping_address": shipping_address,
        "fulfillment": fulfillment,
        "adjustments": adjustments or None,
        "checkout_context": checkout_context,
        "placed_at": placed_at or now,
        "created_at": now,
        "updated_at": now,
    }
    rows = [
        {
            "order_id": order_id,
            "position": i,
            "sku": line.sku,
            "title": line.title,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "tax": line.tax,
            "tax_rate": line.tax_rate,
            "total": line.amount,
        }
        for i, line in enumerate(lines)
    ]
    first = {"order_id": order_id, "status": status, "note": note, "created_at": now}
    # Three statements whatever the number of lines (the lines' ids come back by position,
    # which needs no ordered RETURNING, so SQLite batches them too).
    dialect = session.get_bind().dialect.name
    values["number"] = session.execute(_INSERT_ORDER[dialect], values).scalar_one()
    line_ids = {position: id_ for id_, position in session.execute(_INSERT_LINES, rows)}
    first_id = session.execute(_INSERT_STATUS, first).scalar_one()
    order = OrderRow(**values)
    # Known empty: attaching allocations then appends without loading the collection.
    order.lines = [OrderLineRow(id=line_ids[r["position"]], allocations=[], **r) for r in rows]
    order.history = [OrderStatusRow(id=first_id, **first)]
    adopt(session, order, *order.lines, *order.history)
    (emit or _outbox(session))(
        "order.placed",
        {
            "order_id": order.id,
            "number": str(order.number),
            "channel": channel.code,
            "source": source,
            "status": status,
            "customer_id": customer_id,
        },
    )
    return order


def attach_allocations(
    *, session: Session, order: OrderRow, allocations: Sequence[AllocationLike]
) -> None:
    """Record which inventory allocations serve which line, so that fulfilment can consume
    them and a cancellation can give them back. Allocations are matched to lines by SKU."""
    pool: dict[str, list[list[Any]]] = {}
    for a in allocations:
        pool.setdefault(a.sku, []).append([a.id, a.location, a.quantity])
    wanted: list[tuple[OrderLineRow, dict[str, Any]]] = []
    for line in order.lines:
        needed = line.quantity
        for entry in pool.get(line.sku, []):
            if needed == 0:
                break
            take = min(needed, entry[2])
            if take == 0:
                continue
            share = {"order_line_id": line.id, "allocation_id": entry[0], "location": entry[1]}
            wanted.append((line, {**share, "quantity": take}))
            entry[2] -= take
            needed -= take
    if not wanted:
        return
    # One executemany; each row's id comes back with the (line, allocation) it belongs to,
    # a pair that is unique per order.
    written = session.execute(_INSERT_ALLOCATIONS, [values for _, values in wanted])
    ids = {(r.order_line_id, r.allocation_id): r.id for r in written}
    made: dict[int, list[OrderLineAllocationRow]] = {}
    for line, values in wanted:
        key = (values["order_line_id"], values["allocation_id"])
        made.setdefault(line.id, []).append(OrderLineAllocationRow(id=ids[key], **values))
    for line in order.lines:
        if line.id in made:
            set_committed_value(line, "allocations", [*line.allocations, *made[line.id]])
    adopt(session, *(row for rows in made.values() for row in rows))


def set_status(
    *,
    session: Session,
    order_id: str,
    status: str,
    note: str | None = None,
    emit: Emit | None = None,
) -> OrderRow:
    """Move an order to `status` and write it in the history; InvalidState if that move is
    not allowed (a cancelled order stays cancelled). Cancelling through here announces
    `order.cancelled` but gives nothing back: use `orders.cancel` for the whole rule."""
    order = session.scalar(select(OrderRow).where(OrderRow.id == order_id).with_for_update())
    if order is None:
        raise NotFound(f"No order {order_id!r}")
    try:
        new = OrderStatus(status)
    except ValueError as exc:
        raise ValidationFailed(
            f"Unknown order status {status!r}", errors=[field_error("status", "unknown status")]
        ) from exc
    current = OrderStatus(order.status)
    if new is current and new is not OrderStatus.PARTIALLY_RETURNED:
        return order
    if not can_move(current, new):
        raise InvalidState(f"Order {order.id} is {current}: it cannot become {new}")
    now = utcnow()
    order.status = new.value
    order.updated_at = now
    order.history.append(OrderStatusRow(status=new.value, note=note, created_at=now))
    if new is OrderStatus.CANCELLED:
        (emit or _outbox(session))(
            "order.cancelled", {"order_id": order.id, "channel": order.channel, "reason": note}
        )
    session.flush()
    return order
