"""Reading orders, for the API and for the domains built on orders (fulfilment, returns,
POS), inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from souk.api.pagination import decode_cursor, encode_cursor
from souk.api.shapes import Money
from souk.errors import NotFound
from souk.orders.schemas import (
    AdjustmentRead,
    AllocationRead,
    OrderLineRead,
    OrderRead,
    PaymentRead,
    StatusChangeRead,
    TotalsRead,
)
from souk.orders.tables import OrderLineRow, OrderRow
from souk.payments.models import PaymentInfo
from souk.payments.service import payments_for

# The fulfilment domain registers (in wiring) how to list an order's fulfilment orders, so
# that orders can show them without depending on fulfilment.
FulfillmentReader = Callable[[Session, str], list[dict[str, Any]]]
_fulfillment_readers: list[FulfillmentReader] = []


def register_fulfillment_reader(reader: FulfillmentReader) -> None:
    _fulfillment_readers[:] = [reader]


def _money(amount: int, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def _load(session: Session, order_id: str, *options: Any) -> OrderRow:
    row = session.scalar(select(OrderRow).where(OrderRow.id == order_id).options(*options))
    if row is None:
        raise NotFound(f"No order {order_id!r}")
    return row


def load_order(*, session: Session, order_id: str) -> OrderRow:
    return _load(
        session,
        order_id,
        selectinload(OrderRow.lines).selectinload(OrderLineRow.allocations),
        selectinload(OrderRow.history),
    )


def order_read(
    session: Session,
    row: OrderRow,
    *,
    fulfillment_orders: list[dict[str, Any]] | None = None,
    payments: Sequence[PaymentInfo] | None = None,
) -> OrderRead:
    """`fulfillment_orders` and `payments`: what the caller has just made (routing at
    placement, the checkout's authorisation), so that they are not read back."""
    c = row.currency
    if payments is None:
        payments = payments_for(session=session, order_id=row.id)
    paid = [
        PaymentRead(
            id=p.id,
            provider=p.provider,
            method=p.method,
            status=p.status,
            amount=_money(p.amount, p.currency),
            captured=_money(p.captured, p.currency),
            refunded=_money(p.refunded, p.currency),
            voided=_money(p.voided, p.currency),
        )
        for p in payments
    ]
    if fulfillment_orders is None:
        fulfillment_orders = (
            _fulfillment_readers[0](session, row.id) if _fulfillment_readers else []
        )
    return OrderRead(
        id=row.id,
        number=str(row.number),
        channel=row.channel,
        status=row.status,
        source=row.source,
        external_id=row.external_id,
        customer=row.customer_id,
        email=row.email,
        locale=row.locale,
        currency=c,
        prices_include_tax=row.prices_include_tax,
        lines=[
            OrderLineRead(
                id=line.id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price=_money(line.unit_price, c),
                discount=_money(line.discount, c),
                tax=_money(line.tax, c),
                tax_rate=format(line.tax_rate.normalize(), "f"),
                total=_money(line.total, c),
                allocations=[
                    AllocationRead(
                        allocation_id=a.allocation_id, location=a.location, quantity=a.quantity
                    )
                    for a in line.allocations
                ],
            )
            for line in row.lines
        ],
        totals=TotalsRead(
            subtotal=_money(row.subtotal, c),
            discount=_money(row.discount, c),
            shipping=_money(row.shipping, c),
            tax=_money(row.tax, c),
            tax_included=_money(row.tax_included, c),
            total=_money(row.total, c),
            adjustments=[AdjustmentRead.model_validate(a) for a in row.adjustments or []],
        ),
        payments=paid,
        shipping_address=row.shipping_address,
        fulfillment=row.fulfillment,
        fulfillment_orders=fulfillment_orders,
        status_history=[
            StatusChangeRead(status=h.status, note=h.note, at=h.created_at) for h in row.history
        ],
        placed_at=row.placed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_order(
    *, session: Session, order_id: str, fulfillment_orders: list[dict[str, Any]] | None = None
) -> OrderRead:
    """The whole order as the API shows it; NotFound if there is none. `fulfillment_orders`:
    as for `order_read`."""
    row = load_order(session=session, order_id=order_id)
    return order_read(session, row, fulfillment_orders=fulfillment_orders)


def list_orders(
    *,
    session: Session,
    channel: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[OrderRead], str | None]:
    """Newest first; the cursor is the id of the last order of the page (ids sort by time)."""
    after = decode_cursor(cursor)
    stmt = select(OrderRow).options(
        selectinload(OrderRow.lines).selectinload(OrderLineRow.allocations),
        selectinload(OrderRow.history),
    )
    if channel is not None:
        stmt = stmt.where(OrderRow.channel == channel)
    if status is not None:
        stmt = stmt.where(OrderRow.status == status)
    if customer_id is not None:
        stmt = stmt.where(OrderRow.customer_id == customer_id)
    if after:
        stmt = stmt.where(OrderRow.id < str(after[0]))
    rows = list(session.scalars(stmt.order_by(OrderRow.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].id]) if more else None
    return [order_read(session, r) for r in rows], next_cursor


def find_by_external_id(*, session: Session, channel: str, external_id: str) -> OrderRow | None:
    return session.scalar(
        select(OrderRow).where(OrderRow.channel == channel, OrderRow.external_id == external_id)
    )


def find_by_cart(*, session: Session, cart_id: str) -> OrderRow | None:
    return session.scalar(select(OrderRow).where(OrderRow.cart_id == cart_id))
