"""Engagement's event handlers (subscribed in `souk.wiring`, after the CDP's, so that an
order has reached its buyer's profile first). Each turns a domain event into occurrences
and queues them in its own unit of work; queueing is idempotent, so a redelivery is
harmless. Placed orders also cancel the cart's reminder and convert experiments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from souk.cdp import queries as cdp
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.engagement import experiments
from souk.engagement.models import Trigger
from souk.engagement.queueing import Occurrence, cancel_cart_reminders, queue, starts_journeys
from souk.engagement.scanner import price_drops
from souk.errors import NotFound
from souk.orders.placed import PlacedOrder, placed_order

ASKED_BACK_IN_STOCK = ("Back In Stock Requested",)
INTERESTED = ("Product Viewed", "Product Added to Wishlist", "Back In Stock Requested")
BACK_IN_STOCK_WINDOW = timedelta(days=90)
PRICE_DROP_WINDOW = timedelta(days=30)


def on_order_placed(db: Database, event: Event) -> None:
    """Cancel the cart's reminder, convert the buyer's experiment exposures and queue the
    journeys a placed order starts. Decided on a read first: an order with none of these to
    do (the common case) takes no write lock."""
    order_id = event.payload.get("order_id")
    if not isinstance(order_id, str):
        return
    with UnitOfWork(db, write=False) as look:
        try:
            order = placed_order(event, look.session, order_id)
        except NotFound:
            return
        # The profile the CDP's reaction just recorded the order on, if it ran before this
        # one for the same delivery; otherwise looked up.
        profile = event.shared.get(cdp.ORDER_PROFILE) or cdp.profile_of_order(
            look.session, order_id
        )
        exposures = (
            experiments.open_exposures(look.session, profile, order.placed_at) if profile else []
        )
        journeys = bool(profile) and starts_journeys(look.session, Trigger.ORDER_PLACED)
    cancel = order.cart_id is not None and _may_have_reminder(
        order, db.settings.engagement_cart_idle_s
    )
    if not (cancel or exposures or journeys):
        return
    with UnitOfWork(db) as uow:
        if cancel and order.cart_id:
            cancel_cart_reminders(uow, order.cart_id)
        if exposures:
            experiments.convert(
                uow=uow, exposures=exposures, order_id=order_id, placed_at=order.placed_at
            )
        if profile and journeys:
            queue(uow, Occurrence(Trigger.ORDER_PLACED, profile, order_id, event.created_at,
                                  {"order_id": order_id}))  # fmt: skip
        uow.commit()


def _may_have_reminder(order: PlacedOrder, idle_s: int) -> bool:
    """Whether the order's cart can have had an abandoned-cart reminder queued: not if it
    was made less than the idle time before the order (it was never idle that long). The
    sender checks the cart again before sending, so a reminder this misses (the idle time
    lowered meanwhile) is still never sent, only cancelled later."""
    made = (order.checkout_context or {}).get("cart_created_at")
    if not isinstance(made, str):
        return True
    try:
        created = datetime.fromisoformat(made)
    except ValueError:
        return True
    return order.placed_at - created >= timedelta(seconds=idle_s)


def _about_order(db: Database, event: Event, trigger: Trigger, object_key: str) -> None:
    order_id, object_id = event.payload.get("order_id"), event.payload.get(object_key)
    if not isinstance(order_id, str) or not isinstance(object_id, str):
        return
    with UnitOfWork(db) as uow:
        profile = cdp.profile_of_order(uow.session, order_id)
        if profile is None:
            return
        context: dict[str, Any] = {"order_id": order_id}
        if trigger is Trigger.READY_FOR_PICKUP:
            context["pickup"] = {
                "location": event.payload.get("location"),
                "code": event.payload.get("pickup_code"),
            }
        queue(uow, Occurrence(trigger, profile, object_id, event.created_at, context))
        uow.commit()


def on_cart_abandoned(db: Database, event: Event) -> None:
    p = event.payload
    cart_id = p.get("cart_id")
    if not isinstance(cart_id, str):
        return
    with UnitOfWork(db) as uow:
        s = uow.session
        profile = (p.get("customer_id") and cdp.profile_by(s, "user_id", p["customer_id"])) or (
            p.get("email") and cdp.profile_by(s, "email", p["email"])
        )
        if not profile:
            return
        queue(uow, Occurrence(Trigger.CART_ABANDONED, profile, cart_id, event.created_at,
                              {"cart_id": cart_id}))  # fmt: skip
        uow.commit()


def on_inventory_changed(db: Database, event: Event) -> None:
    """Back in stock: a movement took a location from nothing available to some. Each
    request to be told is answered once (the request is the object)."""
    p = event.payload
    sku, quantity, available = p.get("sku"), p.get("quantity"), p.get("available")
    if not (isinstance(sku, str) and isinstance(quantity, int) and isinstance(available, int)):
        return
    if not (quantity > 0 and available > 0 and available - quantity <= 0):
        return
    with UnitOfWork(db) as uow:
        since = utcnow() - BACK_IN_STOCK_WINDOW
        for profile, request in cdp.requests_for(
            uow.session, events=ASKED_BACK_IN_STOCK, sku=sku, since=since
        ):
            queue(uow, Occurrence(Trigger.BACK_IN_STOCK, profile, f"{sku}:{request}",
                                  event.created_at, {"product": {"sku": sku}}))  # fmt: skip
        uow.commit()


def on_prices_changed(db: Database, event: Event) -> None:
    skus = event.payload.get("skus")
    if not isinstance(skus, list):
        return
    with UnitOfWork(db) as uow:
        since = utcnow() - PRICE_DROP_WINDOW
        for drop in price_drops(uow, [s for s in skus if isinstance(s, str)]):
            product = {"sku": drop.sku, "price": {"amount": drop.new, "currency": drop.currency},
                       "was": {"amount": drop.old, "currency": drop.currency}}  # fmt: skip
            for profile in dict.fromkeys(
                p
                for p, _ in cdp.requests_for(
                    uow.session, events=INTERESTED, sku=drop.sku, since=since
                )
            ):
                queue(uow, Occurrence(Trigger.PRICE_DROP, profile,
                                      f"{drop.sku}:{drop.currency}:{drop.new}",
                                      event.created_at, {"product": product}))  # fmt: skip
        uow.commit()


def on_profile_event(db: Database, event: Event, trigger: Trigger) -> None:
    p = event.payload
    profile = p.get("profile")
    if not isinstance(profile, str):
        return
    segment = p.get("segment") if trigger is Trigger.SEGMENT_ENTERED else None
    object_id = str(segment if segment else p.get("last_order_at"))
    with UnitOfWork(db) as uow:
        root = cdp.root(uow.session, profile)
        if root is None:
            return
        queue(uow, Occurrence(trigger, root, object_id, event.created_at, {},
                              segment=segment if isinstance(segment, str) else None))  # fmt: skip
        uow.commit()


def subscribe(bus: EventBus, db: Database) -> None:
    bus.subscribe("order.placed", lambda e: on_order_placed(db, e))
    bus.subscribe(
        "fulfillment_order.delivered",
        lambda e: _about_order(db, e, Trigger.ORDER_DELIVERED, "order_id"),
    )
    bus.subscribe(
        "fulfillment_order.ready", lambda e: _about_order(db, e, Trigger.READY_FOR_PICKUP, "id")
    )
    bus.subscribe("cart.abandoned", lambda e: on_cart_abandoned(db, e))
    bus.subscribe("inventory.changed", lambda e: on_inventory_changed(db, e))
    bus.subscribe("prices.changed", lambda e: on_prices_changed(db, e))
    bus.subscribe("segment.entered", lambda e: on_profile_event(db, e, Trigger.SEGMENT_ENTERED))
    bus.subscribe("profile.churn_risk", lambda e: on_profile_event(db, e, Trigger.CHURN_RISK))
