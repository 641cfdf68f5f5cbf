"""Fulfilment's event handlers (subscribed in `souk.wiring`): route an order once it is
placed; stand down its fulfilment orders once it is cancelled. Each runs in a unit of work
of its own and is idempotent, because the outbox delivers at least once."""

from __future__ import annotations

from sqlalchemy import select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import DONE, FoStatus
from souk.fulfilment.order_link import order_source, order_to_route
from souk.fulfilment.placement import already_routed, route_placed_order
from souk.fulfilment.tables import FulfillmentHoldRow, FulfillmentOrderRow
from souk.inventory.reservations import deallocate


def route_order(*, uow: UnitOfWork, order_id: str, config: RoutingConfig) -> bool:
    """Route a placed order into fulfilment orders; False if it was routed already."""
    with uow:
        session = uow.session
        if already_routed(session, order_id) or order_source(session, order_id) is None:
            return False
        order = order_to_route(session, order_id)
        outcome = route_placed_order(session, order=order, config=config, emit=uow.emit)
        uow.commit()
        return outcome is not None


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
        if isinstance(order_id, str):
            route_order(uow=UnitOfWork(db), order_id=order_id, config=config)

    def on_cancelled(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            stand_down(uow=UnitOfWork(db), order_id=order_id)

    bus.subscribe("order.placed", on_placed)
    bus.subscribe("order.cancelled", on_cancelled)
