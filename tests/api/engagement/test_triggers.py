"""Triggers through HTTP on both back ends: the abandoned cart found by the worker's scan
is reminded with its lines — unless it checks out first; the reminder is never sent
twice, whatever the redeliveries, rescans and racing senders; ready for pickup; back in
stock and price drop for the profiles that asked or looked; quiet hours in the
customer's own time zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from souk.engagement.scanner import scan
from souk.settings import Settings
from tests.engagement_factories import (
    Inbox,
    consent,
    journey,
    messages,
    profile_of,
    sender,
    text_of,
)
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop
from tests.integration.cdp.factories import send, write_key

REMINDER = {
    "en": {
        "subject": "You left {{ cart.lines | length }} item(s)",
        "body": "{% for l in cart.lines %}{{ l.quantity }} x {{ l.title }} ({{ l.sku }}) "
        "{{ l.unit_price.amount }}\n{% endfor %}Total {{ cart.totals.total.amount }}\n"
        "{{ unsubscribe_url }}",
    }
}


def _customer(fr: FrenchShop) -> tuple[str, str]:
    """Anne registers and buys once (her profile: user id and email), and agrees to mail."""
    token = fr.shop.register("web", "anne@example.com", name="Anne")["token"]
    cart = fr.shop.cart("web", token=token, currency="EUR")
    fr.shop.add(cart["id"], "web", "MUG", 1, token=token)
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=body)
    assert fr.shop.checkout(cart["id"], "web", token=token).status_code == 201
    fr.dispatch()
    profile = str(profile_of(fr.admin, "anne@example.com")["id"])
    consent(fr.admin, profile, granted=True)
    return profile, token


def _left_cart(fr: FrenchShop, token: str) -> str:
    cart = fr.shop.cart("web", token=token, currency="EUR")
    assert fr.shop.add(cart["id"], "web", "TEE-M", 2, token=token).status_code in (200, 201)
    return str(cart["id"])


def _scan(db: Database) -> dict[str, int]:
    return scan(uow=UnitOfWork(db), cart_idle_s=0, churn_threshold=0.99)


def test_abandoned_cart_is_reminded_with_its_lines(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin, name="Reminder", trigger="cart.abandoned", delay_s=1800, template=REMINDER)
    profile, token = _customer(fr)
    cart = _left_cart(fr, token)
    assert _scan(db)["cart.abandoned"] == 1
    assert _scan(db)["cart.abandoned"] == 0  # the same version of the cart: once
    fr.dispatch()
    send = sender(db, settings)
    assert send.send_due() == 0  # the journey waits half an hour
    assert send.send_due(now=utcnow() + timedelta(minutes=31)) == 1
    [email] = mail.messages
    assert email["Subject"] == "You left 1 item(s)"
    shown = fr.shop.call("GET", f"/v1/carts/{cart}", "web", token=token).json()
    [line] = shown["lines"]
    assert text_of(email).splitlines()[:2] == [
        f"2 x {line['title']} (TEE-M) {line['unit_price']['amount']}",
        f"Total {shown['totals']['total']['amount']}",
    ]
    [reminder] = [m for m in messages(fr.admin, profile) if m["trigger"] == "cart.abandoned"]
    assert reminder["object"] == cart and reminder["status"] == "sent"


def test_checkout_first_cancels_the_reminder(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin, name="Reminder", trigger="cart.abandoned", delay_s=1800, template=REMINDER)
    profile, token = _customer(fr)
    cart = _left_cart(fr, token)
    _scan(db)
    fr.dispatch()
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    fr.shop.call("PATCH", f"/v1/carts/{cart}", "web", token=token, json=body)
    assert fr.shop.checkout(cart, "web", token=token).status_code == 201
    fr.dispatch()
    assert sender(db, settings).send_due(now=utcnow() + timedelta(hours=1)) == 0
    assert mail.messages == []
    [reminder] = [m for m in messages(fr.admin, profile) if m["trigger"] == "cart.abandoned"]
    assert reminder["status"] == "cancelled"
    assert reminder["reason"] == "the cart checked out first"


def test_never_twice_across_redeliveries_rescans_and_racing_senders(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin, name="Reminder", trigger="cart.abandoned", template=REMINDER)
    profile, token = _customer(fr)
    _left_cart(fr, token)
    _scan(db)
    for _ in range(3):
        fr.dispatch()
        # Redeliver every event, as the outbox may after a crash.
        with db.transaction() as session:
            session.execute(update(OutboxEvent).values(dispatched_at=None))
        _scan(db)
    fr.dispatch()
    senders = [sender(db, settings) for _ in range(4)]
    barrier = threading.Barrier(len(senders))
    results: list[int] = []

    def run(s: Any) -> None:
        barrier.wait()
        results.append(s.send_due())

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1
    assert len(mail.messages) == 1
    reminders = [m for m in messages(fr.admin, profile) if m["trigger"] == "cart.abandoned"]
    assert len(reminders) == 1


def test_ready_for_pickup(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    template = {
        "en": {"subject": "Ready", "body": "Code {{ pickup.code }} at {{ pickup.location }}"}
    }
    journey(fr.admin, name="Pickup", trigger="fulfillment_order.ready", template=template)
    order = fr.web_order(("CAP", 1), pickup="store-paris")
    profile = str(profile_of(fr.admin, "anne@example.com")["id"])
    consent(fr.admin, profile, granted=True)
    [fo] = order["fulfillment_orders"]
    assert fr.fo(fo["id"], "accept").status_code == 200
    ready = fr.fo(fo["id"], "ready")
    assert ready.status_code == 200, ready.text
    fr.dispatch()
    assert sender(db, settings).send_due() == 1
    assert text_of(mail.messages[0]).strip() == f"Code {ready.json()['pickup_code']} at store-paris"


def test_back_in_stock_and_price_drop_reach_who_asked_or_looked(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    alert = {"en": {"subject": "Back", "body": "{{ product.sku }} is back"}}
    drop = {"en": {"subject": "Drop", "body": "{{ product.sku }} now {{ product.price.amount }}"}}
    journey(fr.admin, name="Back", trigger="back_in_stock", template=alert)
    journey(fr.admin, name="Drop", trigger="price_drop", template=drop)
    fr.web_order(("MUG", 3))  # the last three mugs: sold out
    profile = str(profile_of(fr.admin, "anne@example.com")["id"])
    consent(fr.admin, profile, granted=True)
    key = write_key(fr.admin)
    asked = {
        "type": "track",
        "userId": "u-anne",
        "event": "Back In Stock Requested",
        "properties": {"sku": "MUG"},
        "context": {"traits": {"email": "anne@example.com"}},
    }
    identify = {"type": "identify", "userId": "u-anne", "traits": {"email": "anne@example.com"}}
    assert send(fr.admin, "/v1/batch", {"batch": [identify, asked]}, key=key).status_code == 200
    fr.dispatch()
    fr.shop.receive("MUG", "store-lyon", 5)
    fr.shop.price("MUG", "EUR", 900)
    fr.dispatch()
    assert sender(db, settings).send_due() == 2
    bodies = sorted(text_of(m).strip() for m in mail.messages)
    assert bodies == ["MUG is back", "MUG now 900"]
    fr.shop.receive("MUG", "store-lyon", 5)  # still in stock: no second alert
    fr.dispatch()
    assert sender(db, settings).send_due() == 0


def test_quiet_hours_wait_for_the_morning_in_the_customers_time_zone(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin)
    fr.web_order(("MUG", 1))
    profile = str(profile_of(fr.admin, "anne@example.com")["id"])
    consent(fr.admin, profile, granted=True)
    key = write_key(fr.admin)
    tz = {"type": "identify", "userId": "u-anne",
          "traits": {"email": "anne@example.com", "timezone": "Asia/Tokyo"}}  # fmt: skip
    assert send(fr.admin, "/v1/identify", tz, key=key).status_code == 200
    quiet = sender(db, settings.model_copy(update={"engagement_quiet_hours": "21:00-08:00"}))
    late = datetime(2099, 1, 5, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    assert quiet.send_due(now=late) == 0
    [waiting] = messages(fr.admin, profile)
    assert waiting["status"] == "queued"
    assert waiting["send_after"].startswith("2099-01-05T23:00:00")  # 08:00 in Tokyo
    assert quiet.send_due(now=datetime(2099, 1, 5, 23, 0, tzinfo=UTC)) == 1
    assert len(mail.messages) == 1
