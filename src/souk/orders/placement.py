"""What happens to an order as it is placed, as hooks that fulfilment registers in
`souk.wiring`, so that orders, carts and the point of sale never depend on fulfilment.

- `route_now` routes a just-placed order into fulfilment orders inside the caller's
  transaction, so that the answer to the command (and any read after it) already shows
  them. The `order.placed` handler stays subscribed as the safety net: routing is claimed
  once per order, so whoever comes second does nothing.
- `pickup_supply` says, before a click & collect order exists, where each line would come
  from: the store's own units, or a transfer from another location of the channel's
  network (nearest first) and by when it would be ready.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.db.timed import TimedCache
from souk.orders.tables import OrderRow

Emit = Callable[[str, dict[str, Any]], None]
# (session, order id, emit, the order row the caller just wrote or None, its channel or None)
# A router answers with the fulfilment orders it made, as the order view shows them (None if
# the order was routed already), so that the caller can answer without reading them back.
Router = Callable[
    [Session, str, Emit, OrderRow | None, Channel | None], list[dict[str, Any]] | None
]


@dataclass(frozen=True, slots=True)
class PickupSupply:
    """One line of a pickup at `store`: `at_store` units there now, the rest from `sources`
    ((location, units), nearest first) by `ready_at`. `network` is everything the store and
    the network could give this line (the cart's "available")."""

    sku: str
    quantity: int
    store: str
    at_store: int
    sources: tuple[tuple[str, int], ...]
    ready_at: datetime | None
    network: int

    @property
    def available_now(self) -> bool:
        return self.at_store >= self.quantity

    @property
    def suppliable(self) -> bool:
        return self.at_store + sum(q for _, q in self.sources) >= self.quantity


PickupPlanner = Callable[[Session, Channel, str, Sequence[tuple[str, int]]], list[PickupSupply]]

_routers: list[Router] = []
_pickup_planners: list[PickupPlanner] = []


def register_router(router: Router) -> None:
    _routers[:] = [router]


def register_pickup_planner(planner: PickupPlanner) -> None:
    _pickup_planners[:] = [planner]


def route_now(
    session: Session,
    order_id: str,
    emit: Emit,
    *,
    order: OrderRow | None = None,
    channel: Channel | None = None,
) -> list[dict[str, Any]] | None:
    """Route the order in the caller's transaction; its fulfilment orders as the order view
    shows them, or None if it was routed already (or no router is wired, as in a bare CLI
    process: the dispatcher routes it then).

    `order` and `channel` are what the caller has just written and read (checkout's order
    row with its lines and allocations, the plan's channel): routing then reads neither
    again. Once the caller's transaction commits, this process knows the order is routed
    (`routed_here`)."""
    made = _routers[0](session, order_id, emit, order, channel) if _routers else None
    if made is not None:
        session.info.setdefault(_ROUTING, []).append(order_id)
    return made


# The orders this process routed as they were placed (the last 10,000, for a day): the
# `order.placed` handler (routing's safety net) then needs no read to find them routed.
# Only ever added to after a commit, and an order once routed stays routed, so it is never
# wrong; an order placed by another process, or forgotten here, is looked up as before.
_ROUTING = "souk_routing"
_routed: TimedCache[bool] = TimedCache(24 * 3600, max_entries=10_000)


def routed_here(order_id: str) -> bool:
    return _routed.get(order_id) is not None


@event.listens_for(Session, "after_commit")
def _remember_routed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    for order_id in session.info.pop(_ROUTING, None) or ():
        _routed.put(order_id, True, _routed.generation)


@event.listens_for(Session, "after_rollback")
def _forget_routing(session: Session) -> None:
    # A savepoint's rollback too: forgetting an order routed outside it only costs a read.
    session.info.pop(_ROUTING, None)


def pickup_supply(
    session: Session, *, channel: Channel, store: str, lines: Sequence[tuple[str, int]]
) -> list[PickupSupply] | None:
    """One `PickupSupply` per (sku, quantity) line, in order; None if nothing is wired."""
    if not _pickup_planners:
        return None
    return _pickup_planners[0](session, channel, store, lines)
