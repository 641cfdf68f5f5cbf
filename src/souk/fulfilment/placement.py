"""Routing a placed order once: the claim that makes it idempotent, then delivery or pickup.

Two dispatchers (or a redelivered `order.placed`) may route the same order at the same
time: the first to insert its `order_routings` row wins; the other waits on the unique key
and then finds the order routed, leaving it alone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from souk.db.base import table_of, utcnow
from souk.db.dialects import dialect_of, upsert_insert_for
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.pickup import route_pickup
from souk.fulfilment.records import Emit
from souk.fulfilment.sourcing import OrderToRoute, Outcome, route_delivery
from souk.fulfilment.tables import OrderRoutingRow

_routings = table_of(OrderRoutingRow)
_ROUTED = select(_routings.c.order_id).where(_routings.c.order_id == bindparam("order"))
# What routing decided, on the claim's row; built once (every order is routed).
_RECORD = (
    update(_routings)
    .where(_routings.c.order_id == bindparam("order"))
    .values(
        status=bindparam("outcome"),
        method=bindparam("how"),
        solver_status=bindparam("solver"),
        cost=bindparam("plan_cost"),
    )
)


def already_routed(session: Session, order_id: str) -> bool:
    return session.scalar(_ROUTED, {"order": order_id}) is not None


@cache
def _claim_statement(dialect: str) -> Any:
    return (
        upsert_insert_for(dialect, _routings)
        .values(
            order_id=bindparam("order"),
            status="routing",
            method="",
            solver_status="",
            cost=None,
            created_at=bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=["order_id"])
        # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT insert.
        .returning(_routings.c.order_id)
    )


def claim(session: Session, order_id: str) -> bool:
    """Take the routing of `order_id`: False if someone else routed it already. One
    statement; a concurrent claim waits on the unique key until the winner commits."""
    stmt = _claim_statement(dialect_of(session))
    return session.execute(stmt, {"order": order_id, "now": utcnow()}).first() is not None


def route_placed_order(
    session: Session, *, order: OrderToRoute, config: RoutingConfig, emit: Emit
) -> Outcome | None:
    """Route the order into fulfilment orders (None if it was routed already)."""
    # Checkout too claims first, though it routes the order it has just placed: it routes
    # in a transaction after the order's commit, where the dispatcher's safety net can
    # already see `order.placed`. Recording the outcome in one INSERT at the end instead
    # (a statement less) would let both route it, or deadlock on the stock rows.
    if not claim(session, order.id):
        return None
    if order.pickup_at:
        outcome = route_pickup(
            session, order=order, store=order.pickup_at, config=config, emit=emit
        )
        record: dict[str, Any] = {
            "how": "pickup", "solver": "store_chosen_by_customer", "plan_cost": None,
        }  # fmt: skip
    else:
        outcome = route_delivery(session, order=order, config=config, emit=emit)
        plan = outcome.plan
        record = {
            "how": plan.method if plan else "none",
            "solver": plan.solver_status[:100] if plan else "no_lines",
            "plan_cost": plan.cost if plan else None,
        }
    record["outcome"] = "needs_decision" if outcome.held_units else "routed"
    session.execute(_RECORD, {"order": order.id, **record})
    emit(
        "order.routed",
        {
            "order_id": order.id,
            "fulfillment_orders": [fo.id for fo in outcome.fulfillment_orders],
            "held_units": outcome.held_units,
        },
    )
    return outcome
