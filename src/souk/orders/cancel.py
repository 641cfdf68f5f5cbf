"""Cancelling an order: stock goes back, money goes back, and everyone hears of it."""

from __future__ import annotations

from sqlalchemy import select

from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound
from souk.inventory.reservations import deallocate
from souk.orders.models import OrderStatus
from souk.orders.queries import get_order
from souk.orders.schemas import OrderRead
from souk.orders.service import set_status
from souk.orders.tables import OrderLineAllocationRow, OrderLineRow, OrderRow
from souk.payments import service as payments


def cancel_order(*, uow: UnitOfWork, order_id: str, reason: str | None = None) -> OrderRead:
    """Only an order nothing of which has left yet (`placed`) can be cancelled; after that
    it is a return. Allocated stock is released, the uncaptured authorisation voided and
    whatever was captured refunded, in one transaction with the status change."""
    with uow:
        session = uow.session
        order = session.scalar(select(OrderRow).where(OrderRow.id == order_id).with_for_update())
        if order is None:
            raise NotFound(f"No order {order_id!r}")
        if order.status != OrderStatus.PLACED:
            raise InvalidState(
                f"Order {order.number} is {order.status}: only a placed order can be cancelled"
            )
        allocations = session.scalars(
            select(OrderLineAllocationRow)
            .join(OrderLineRow, OrderLineRow.id == OrderLineAllocationRow.order_line_id)
            .where(OrderLineRow.order_id == order.id)
            .order_by(OrderLineAllocationRow.id)
        )
        for allocation in allocations:
            deallocate(session=session, allocation_id=allocation.allocation_id)
        payments.void(session=session, order_id=order.id)
        owed = payments.refundable(session=session, order_id=order.id)
        if owed > 0:
            payments.refund(session=session, order_id=order.id, amount=owed)
        set_status(
            session=session,
            order_id=order.id,
            status=OrderStatus.CANCELLED,
            note=reason,
            emit=uow.emit,
        )
        result = get_order(session=session, order_id=order.id)
        uow.commit()
        return result
