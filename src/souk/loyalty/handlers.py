"""Loyalty's event handlers (subscribed in `souk.wiring`): earn on every channel's placed
order, claw back on returns and cancellations. Each runs in its own unit of work and is
idempotent (entries are unique per order or return), as the outbox delivers at least once."""

from __future__ import annotations

from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.loyalty import service


def subscribe(bus: EventBus, db: Database) -> None:
    def on_placed(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            service.earn_for_order(uow=UnitOfWork(db), order_id=order_id, event=event)

    def on_returned(event: Event) -> None:
        return_id, order_id = event.payload.get("id"), event.payload.get("order_id")
        if isinstance(return_id, str) and isinstance(order_id, str):
            service.claw_back_for_return(uow=UnitOfWork(db), return_id=return_id, order_id=order_id)

    def on_cancelled(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            service.claw_back_for_cancellation(uow=UnitOfWork(db), order_id=order_id)

    bus.subscribe("order.placed", on_placed)
    bus.subscribe("return.received", on_returned)
    bus.subscribe("order.cancelled", on_cancelled)
