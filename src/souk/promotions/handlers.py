"""Promotions' event handlers (subscribed in `souk.wiring`): a cancelled order gives its
promotion and code uses back. Idempotent: a redemption is returned once."""

from __future__ import annotations

from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.promotions.live import limited_use_taken
from souk.promotions.redemptions import give_back


def give_back_uses(*, uow: UnitOfWork, order_id: str) -> int:
    with uow:
        returned = give_back(session=uow.session, order_id=order_id)
        uow.commit()
    if returned:
        limited_use_taken(uow.db)  # a promotion used up may be usable again: shown at once
    return returned


def subscribe(bus: EventBus, db: Database) -> None:
    def on_cancelled(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            give_back_uses(uow=UnitOfWork(db), order_id=order_id)

    bus.subscribe("order.cancelled", on_cancelled)
