"""Fulfilment's event handlers (subscribed in `souk.wiring`): route an order once it is
placed, if placement did not already (it does, see `souk.orders.placement`: this is the
safety net); stand down its fulfilment orders once it is cancelled. Each runs in a unit of work
of its own and is idempotent, because the outbox delivers at least once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import DONE, FoStatus
from souk.fulfilment.order_link import order_source, order_to_route
from souk.fulfilment.pickup_sources import supply_for_pickup
from souk.fulfilment.placement import already_routed, route_placed_order
from souk.fulfilment.reads import fo_views
from souk.fulfilment.records import Emit
from souk.fulfilment.tables import FulfillmentHoldRow, FulfillmentOrderRow
from souk.inventory.reservations import deallocate
from souk.orders import placement
from souk.orders.placement import PickupSupply
from souk.orders.tables import OrderRow


def route_in(
    session: Session,
    order_id: str,
    emit: Emit,
    config: RoutingConfig,
    *,
    row: OrderRow | None = None,
    channel: Channel | None = None,
) -> list[FulfillmentOrderRow] | None:
    """Route a placed order inside the caller's transaction; the fulfilment orders it made,
    or None if it was routed already (or is not an order). Placement calls this before
    answering, with the order it has just written (`row`) and its `channel`; the handler
    below calls it again as the safety net, and then it does nothing."""
    if row is None and (
        already_routed(session, order_id) or order_source(session, order_id) is None
    ):
        return None
    order = order_to_route(session, order_id, row=row, channel=channel)
    outcome = route_placed_order(session, order=order, config=config, emit=emit)
    return None if outcome is None else outcome.fulfillment_orders


def route_order(*, uow: UnitOfWork, order_id: str, config: RoutingConfig) -> bool:
    """Route a placed order into fulfilment orders; False if it was routed already."""
    with uow:
        routed = route_in(uow.session, order_id, uow.emit, config)
        uow.commit()
        return routed is not None


def register_placement(config: RoutingConfig) -> None:
    """Orders are routed as they are placed, and carts can ask where a pickup's units would
    come from (see souk.orders.placement)."""

    def router(
        session: Session,
        order_id: str,
        emit: Emit,
        row: OrderRow | None,
        channel: Channel | None,
    ) -> list[dict[str, Any]] | None:
        made = route_in(session, order_id, emit, config, row=row, channel=channel)
        return None if made is None else fo_views(session, made)

    def pickup_planner(
        session: Session, channel: Channel, store: str, lines: Sequence[tuple[str, int]]
    ) -> list[PickupSupply]:
        return supply_for_pickup(session, channel=channel, store=store, lines=lines, config=config)

    placement.register_router(router)
    placement.register_pickup_planner(pickup_planner)


def stand_down(*, uow: UnitOfWork, order_id: str) -> int:
    """A cancelled order: its unfinished fulfilment orders are cancelled and their units
    given back; its holds are closed. Returns how many fulfilment orders it cancelled."""
    with uow:
        session = uow.session
        rows = session.scalars(
            select(FulfillmentOrderRow)
            .where(
                FulfillmentOrderRow.order_id == order_id,
                FulfillmentOrderRow.status.not_in([s.value for s in DONE]),
            )
            .with_for_update()
        ).all()
        now = utcnow()
        for fo in rows:
            for line in fo.lines:
                if line.allocation_id is not None:
                    deallocate(session=session, allocation_id=line.allocation_id)
            fo.status, fo.updated_at = FoStatus.CANCELLED.value, now
            uow.emit("fulfillment_order.cancelled", {"id": fo.id, "order_id": order_id})
        for hold in session.scalars(
            select(FulfillmentHoldRow).where(
                FulfillmentHoldRow.order_id == order_id, FulfillmentHoldRow.status == "open"
            )
        ):
            hold.status, hold.decision, hold.resolved_at = "resolved", "cancelled", now
        uow.commit()
        return len(rows)


def subscribe(bus: EventBus, db: Database) -> None:
    config = RoutingConfig.from_settings(db.settings)

    def on_placed(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if not isinstance(order_id, str):
            return
        # Nearly always routed at placement already, most often by this very process, which
        # then knows it; otherwise find that out without taking a write lock (on SQLite,
        # the whole database's) in the middle of a drop.
        if placement.routed_here(order_id):
            return
        with UnitOfWork(db, write=False) as look:
            if already_routed(look.session, order_id):
                return
        route_order(uow=UnitOfWork(db), order_id=order_id, config=config)

    def on_cancelled(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            stand_down(uow=UnitOfWork(db), order_id=order_id)

    bus.subscribe("order.placed", on_placed)
    bus.subscribe("order.cancelled", on_cancelled)
