"""Read use cases over orders: the operator's, a store's, and a customer's own."""

from __future__ import annotations

from souk.access.models import Principal, Role
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, NotFound
from souk.orders.queries import get_order, list_orders, load_order
from souk.orders.schemas import OrderRead


def _channel_scope(principal: Principal) -> str | None:
    """A POS key sees its own channel's orders; an admin key sees every channel."""
    return principal.channel if principal.role is Role.POS else None


def orders_page(
    *,
    uow: UnitOfWork,
    principal: Principal,
    channel: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[OrderRead], str | None]:
    scope = _channel_scope(principal)
    if scope is not None and channel not in (None, scope):
        raise Forbidden(f"This key reads only channel {scope!r}'s orders")
    with uow:
        return list_orders(
            session=uow.session,
            channel=scope or channel,
            status=status,
            customer_id=customer_id,
            limit=limit,
            cursor=cursor,
        )


def order_for(*, uow: UnitOfWork, principal: Principal, order_id: str) -> OrderRead:
    with uow:
        order = get_order(session=uow.session, order_id=order_id)
        scope = _channel_scope(principal)
        if scope is not None and order.channel != scope:
            raise Forbidden(f"This key reads only channel {scope!r}'s orders")
        return order


def customer_orders(
    *, uow: UnitOfWork, customer_id: str, limit: int = 50, cursor: str | None = None
) -> tuple[list[OrderRead], str | None]:
    """Every channel's orders of this customer, in-store ones included."""
    with uow:
        return list_orders(session=uow.session, customer_id=customer_id, limit=limit, cursor=cursor)


def customer_order(*, uow: UnitOfWork, customer_id: str, order_id: str) -> OrderRead:
    with uow:
        row = load_order(session=uow.session, order_id=order_id)
        # Another customer's order is "not found": a customer learns nothing about it.
        if row.customer_id != customer_id:
            raise NotFound(f"No order {order_id!r}")
        return get_order(session=uow.session, order_id=order_id)
