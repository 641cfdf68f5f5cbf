"""Routing a placed order once: the claim that makes it idempotent, then delivery or pickup.

Two dispatchers (or a redelivered `order.placed`) may route the same order at the same
time: the first to insert its `order_routings` row wins; the other waits on the unique key
and then finds the order routed, leaving it alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.dialects import upsert_insert
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.pickup import route_pickup
from souk.fulfilment.records import Emit
from souk.fulfilment.sourcing import OrderToRoute, Outcome, route_delivery
from souk.fulfilment.tables import OrderRoutingRow


def already_routed(session: Session, order_id: str) -> bool:
    return session.get(OrderRoutingRow, order_id) is not None


def claim(session: Session, order_id: str) -> bool:
    """Take the routing of `order_id`: False if someone else routed it already. One
    statement; a concurrent claim waits on the unique key until the winner commits."""
    taken = session.execute(
        upsert_insert(session, OrderRoutingRow)
        .values(
            order_id=order_id,
            status="routing",
            method="",
            solver_status="",
            cost=None,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["order_id"])
        # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
        .returning(OrderRoutingRow.order_id)
    )
    return taken.first() is not None


def route_placed_order(
    session: Session, *, order: OrderToRoute, config: RoutingConfig, emit: Emit
) -> Outcome | None:
    """Route the order into fulfilment orders (None if it was routed already)."""
    if not claim(session, order.id):
        return None
    if order.pickup_at:
        outcome = route_pickup(
            session, order=order, store=order.pickup_at, config=config, emit=emit
        )
        record: dict[str, Any] = {"method": "pickup", "solver_status": "store_chosen_by_customer"}
    else:
        outcome = route_delivery(session, order=order, config=config, emit=emit)
        plan = outcome.plan
        record = {
            "method": plan.method if plan else "none",
            "solver_status": plan.solver_status[:100] if plan else "no_lines",
            "cost": plan.cost if plan else None,
        }
    record["status"] = "needs_decision" if outcome.held_units else "routed"
    session.execute(
        update(OrderRoutingRow).where(OrderRoutingRow.order_id == order.id).values(**record)
    )
    emit(
        "order.routed",
        {
            "order_id": order.id,
            "fulfillment_orders": [fo.id for fo in outcome.fulfillment_orders],
            "held_units": outcome.held_units,
        },
    )
    return outcome
