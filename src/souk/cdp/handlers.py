"""The CDP's event handlers (subscribed in `souk.wiring`): every channel's placed orders,
received returns and earned loyalty points reach the buyer's profile. Each runs in its
own unit of work and is idempotent (see `domain_events.py`)."""

from __future__ import annotations

from souk.cdp import domain_events
from souk.cdp.queries import ORDER_PROFILE
from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork


def subscribe(bus: EventBus, db: Database) -> None:
    def on_placed(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            profile = domain_events.record_order(uow=UnitOfWork(db), order_id=order_id, event=event)
            if profile is not None:
                event.shared[ORDER_PROFILE] = profile

    def on_returned(event: Event) -> None:
        return_id, order_id = event.payload.get("id"), event.payload.get("order_id")
        if isinstance(return_id, str) and isinstance(order_id, str):
            domain_events.record_follow_up(
                uow=UnitOfWork(db),
                message_id=f"return.received:{return_id}",
                event="Order Returned",
                order_id=order_id,
                properties={
                    "order_id": order_id,
                    "return_id": return_id,
                    "location": event.payload.get("location"),
                    "resellable": event.payload.get("resellable"),
                    "damaged": event.payload.get("damaged"),
                },
            )

    def on_points(event: Event) -> None:
        order_id = event.payload.get("order_id")
        if isinstance(order_id, str):
            domain_events.record_follow_up(
                uow=UnitOfWork(db),
                message_id=f"loyalty.points_earned:{order_id}",
                event="Loyalty Points Earned",
                order_id=order_id,
                properties={"order_id": order_id, "points": event.payload.get("points")},
            )

    bus.subscribe("order.placed", on_placed)
    bus.subscribe("return.received", on_returned)
    bus.subscribe("loyalty.points_earned", on_points)
