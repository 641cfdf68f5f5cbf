"""Routing a placed order once: the claim that makes it idempotent, then delivery or pickup.

Two dispatchers (or a redelivered `order.placed`) may route the same order at the same
time: the first to insert its `order_routings` row wins; the other waits on the unique key
and then finds the order routed, leaving it alone.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.pickup import route_pickup
from souk.fulfilment.records import Emit
from souk.fulfilment.sourcing import OrderToRoute, Outcome, route_delivery
from souk.fulfilment.tables import OrderRoutingRow


def already_routed(session: Session, order_id: str) -> bool:
    return session.get(OrderRoutingRow, order_id) is not None


def claim(session: Session, order_id: str) -> OrderRoutingRow | None:
    """The routing record for `order_id`, or None if someone else routed it already."""
    if already_routed(session, order_id):
        return None
    row = OrderRoutingRow(
        order_id=order_id,
        status="routing",
        method="",
        solver_status="",
        cost=None,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def route_placed_order(
    session: Session, *, order: OrderToRoute, config: RoutingConfig, emit: Emit
) -> Outcome | None:
    """Route the order into fulfilment orders (None if it was routed already)."""
    record = claim(session, order.id)
    if record is None:
        return None
    if order.pickup_at:
        outcome = route_pickup(
            session, order=order, store=order.pickup_at, config=config, emit=emit
        )
        record.method = "pickup"
        record.solver_status = "store_chosen_by_customer"
    else:
        outcome = route_delivery(session, order=order, config=config, emit=emit)
        plan = outcome.plan
        record.method = plan.method if plan else "none"
        record.solver_status = plan.solver_status[:100] if plan else "no_lines"
        record.cost = plan.cost if plan else None
    record.status = "needs_decision" if outcome.held_units else "routed"
    emit(
        "order.routed",
        {
            "order_id": order.id,
            "fulfillment_orders": [fo.id for fo in outcome.fulfillment_orders],
            "held_units": outcome.held_units,
        },
    )
    return outcome
