"""Fraud screening's event handler (subscribed in `souk.wiring`): screen each placed order
in a unit of work of its own; idempotent (one assessment per order)."""

from __future__ import annotations

from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.fulfilment.release import register_release_check
from souk.orders.placed import placed_order
from souk.risk.service import Policy, release_check, screen


def screen_order(
    *, uow: UnitOfWork, order_id: str, policy: Policy, event: Event | None = None
) -> None:
    """`event`: the `order.placed` being handled, whose reactions share one read of it."""
    with uow:
        try:
            order = placed_order(event, uow.session, order_id)
        except NotFound:
            return
        row = screen(uow.session, order_id, policy, order=order, look_first=False)
        if row is not None and row.status == "held":
            uow.emit(
                "risk.held",
                {"order_id": order_id, "score": row.score, "decision": row.decision},
            )
        uow.commit()


def subscribe(bus: EventBus, db: Database) -> None:
    if not db.settings.risk_screening:
        register_release_check("risk", None)
        return
    policy = Policy.from_settings(db.settings)
    register_release_check("risk", release_check(policy))

    def on_placed(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str) and event.payload.get("source") == "checkout":
            screen_order(uow=UnitOfWork(db), order_id=order_id, policy=policy, event=event)

    bus.subscribe("order.placed", on_placed)
