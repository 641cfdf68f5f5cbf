"""Orders taken elsewhere (a marketplace, a social shop) brought into Souk.

The marketplace's own order id makes an import idempotent: (channel, external_id) is unique
in the database, so a repeat — or two racing deliveries of the same webhook — yields the
first order, never a second one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from souk.catalog.queries import variants_by_sku
from souk.channels.queries import find_channel_row, to_channel
from souk.customers.queries import find_customer
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import ValidationFailed, field_error
from souk.inventory.models import ReserveLine
from souk.inventory.reservations import allocate, reserve
from souk.orders.models import OrderLineInput
from souk.orders.placement import route_now
from souk.orders.queries import find_by_external_id, get_order
from souk.orders.schemas import OrderImport, OrderRead
from souk.orders.service import attach_allocations, record_order
from souk.payments import service as payments

# A marketplace order's stock is held only for as long as the import transaction runs.
IMPORT_HOLD_S = 120


def import_order(*, uow: UnitOfWork, data: OrderImport) -> tuple[OrderRead, bool]:
    """The order and whether this call created it (False: answered from the first import)."""
    try:
        return _import(uow, data)
    except IntegrityError:
        # A concurrent import of the same external id won the unique constraint.
        with UnitOfWork(uow.db, write=False) as read:
            row = find_by_external_id(
                session=read.session, channel=data.channel, external_id=data.external_id
            )
            if row is None:
                raise
            return get_order(session=read.session, order_id=row.id), False


def _import(uow: UnitOfWork, data: OrderImport) -> tuple[OrderRead, bool]:
    with uow:
        session = uow.session
        existing = find_by_external_id(
            session=session, channel=data.channel, external_id=data.external_id
        )
        if existing is not None:
            return get_order(session=session, order_id=existing.id), False
        channel_row = find_channel_row(session=session, code=data.channel)
        errors = []
        if channel_row is None:
            errors.append(field_error("body.channel", f"unknown channel {data.channel!r}"))
        elif data.currency not in channel_row.currencies:
            errors.append(field_error("body.currency", "the channel does not sell in it"))
        known = variants_by_sku(session=session, skus=[line.sku for line in data.lines])
        errors += [
            field_error(f"body.lines.{i}.sku", f"unknown SKU {line.sku!r}")
            for i, line in enumerate(data.lines)
            if line.sku not in known
        ]
        errors += [
            field_error(f"body.lines.{i}.discount", "larger than the line amount")
            for i, line in enumerate(data.lines)
            if line.discount > line.unit_price * line.quantity
        ]
        if errors or channel_row is None:
            raise ValidationFailed("The order cannot be imported", errors=errors)
        channel = to_channel(channel_row)
        customer = (
            find_customer(session=session, email=data.customer.email) if data.customer else None
        )
        reservation = reserve(
            session=session,
            channel=channel,
            lines=[ReserveLine(line.sku, line.quantity) for line in data.lines],
            expires_at=utcnow() + _hold(),
            reference=f"import:{data.channel}:{data.external_id}",
        )
        order = record_order(
            session=session,
            channel=channel,
            lines=[
                OrderLineInput(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    tax=line.tax,
                    tax_rate=line.tax_rate,
                )
                for line in data.lines
            ],
            currency=data.currency,
            customer_id=customer.id if customer else None,
            email=data.customer.email if data.customer else None,
            shipping_address=data.shipping_address.model_dump() if data.shipping_address else None,
            fulfillment={"type": "delivery"},
            source="import",
            external_id=data.external_id,
            shipping=data.shipping,
            shipping_tax=data.shipping_tax,
            placed_at=data.placed_at,
            emit=uow.emit,
        )
        allocations = allocate(session=session, reservation_id=reservation.id, reference=order.id)
        attach_allocations(session=session, order=order, allocations=allocations)
        if data.paid and order.total > 0:
            payments.record_captured(
                session=session,
                order_id=order.id,
                amount=order.total,
                currency=order.currency,
                method="marketplace",
                provider="marketplace",
                reference=data.external_id,
            )
        # Routed before answering, in the import's transaction: the answer shows where it
        # ships from. A marketplace order is not a drop buyer waiting on a hot row.
        made = route_now(session, order.id, uow.emit)
        result = get_order(session=session, order_id=order.id, fulfillment_orders=made)
        uow.commit()
        return result, True


def _hold() -> timedelta:
    return timedelta(seconds=IMPORT_HOLD_S)
