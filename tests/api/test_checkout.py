"""Checkout over HTTP on both back ends: one order per cart, exact totals in JPY, EUR
(tax included) and USD (tax added), out of stock and declined payments that leave nothing
held or charged, idempotent retries, and a checkout whose hold lapses while it pays."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from souk.carts.tables import CartRow
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.inventory.tables import reservation_lines, reservations
from souk.payments import providers
from souk.payments.tables import PaymentRow
from tests.checkout_factories import ADDRESS_FR, ADDRESS_JP, ADDRESS_US, Shop, make_shop, tokyo_shop

PROBLEM = "https://souk.dev/problems/"


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    return tokyo_shop(admin, db)


def ready_cart(shop: Shop, channel: str = "web", sku: str = "SNK-42", quantity: int = 2) -> str:
    cart = shop.cart(channel, email="aiko@example.jp", shipping_address=ADDRESS_JP)
    assert shop.add(cart["id"], channel, sku, quantity).status_code == 201
    return str(cart["id"])


def payments(db: Database) -> list[tuple[str, str | None]]:
    with db.transaction(write=False) as session:
        return [(p.status, p.order_id) for p in session.scalars(select(PaymentRow))]


def test_a_guest_checkout_places_one_order_with_exact_yen_totals(shop: Shop, db: Database) -> None:
    cart_id = ready_cart(shop)
    response = shop.checkout(cart_id, "web")
    assert response.status_code == 201, response.text
    order = response.json()
    # ¥12,000 × 2 and ¥800 delivery, 10 % consumption tax contained in both (no minor unit).
    assert order["totals"] == {
        "subtotal": money(24000, "JPY"),
        "discount": money(0, "JPY"),
        "shipping": money(800, "JPY"),
        "tax": money(0, "JPY"),
        "tax_included": money(2182 + 73, "JPY"),
        "total": money(24800, "JPY"),
        "adjustments": [],
    }
    assert (order["number"], order["status"], order["channel"], order["email"]) == (
        "1001",
        "placed",
        "web",
        "aiko@example.jp",
    )
    assert [h["status"] for h in order["status_history"]] == ["placed"]
    [line] = order["lines"]
    assert (line["sku"], line["quantity"], line["tax"], line["tax_rate"]) == (
        "SNK-42",
        2,
        money(2182, "JPY"),
        "0.1",
    )
    assert [(a["location"], a["quantity"]) for a in line["allocations"]] == [("wh-tokyo", 2)]
    [payment] = order["payments"]
    assert (payment["provider"], payment["status"], payment["amount"]) == (
        "test",
        "authorized",
        money(24800, "JPY"),
    )
    stock = shop.stock_of("SNK-42")
    assert (stock["reserved"], stock["allocated"], stock["available"]) == (0, 2, 10)
    cart = shop.call("GET", f"/v1/carts/{cart_id}", "web").json()
    assert (cart["status"], cart["order_id"]) == ("converted", order["id"])
    with db.transaction(write=False) as session:
        placed = session.scalars(select(OutboxEvent).where(OutboxEvent.name == "order.placed"))
        assert [e.payload["order_id"] for e in placed] == [order["id"]]


def test_a_second_checkout_of_the_same_cart_is_refused_and_charges_nothing(
    shop: Shop, db: Database
) -> None:
    cart_id = ready_cart(shop)
    first = shop.checkout(cart_id, "web")
    second = shop.checkout(cart_id, "web")
    assert first.status_code == 201
    assert second.status_code == 409
    assert (
        second.json()["detail"] == f"This cart was checked out already (order {first.json()['id']})"
    )
    assert payments(db) == [("authorized", first.json()["id"])]
    assert shop.stock_of("SNK-42")["allocated"] == 2


def test_a_retry_with_the_same_idempotency_key_answers_the_first_order(
    shop: Shop, db: Database
) -> None:
    cart_id = ready_cart(shop)
    first = shop.checkout(cart_id, "web", **{"Idempotency-Key": "buy-1"})
    again = shop.checkout(cart_id, "web", **{"Idempotency-Key": "buy-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(payments(db)) == 1


def test_out_of_stock_is_409_listing_the_short_lines_and_nothing_is_held_or_charged(
    shop: Shop, db: Database
) -> None:
    cart = shop.cart("web", email="a@example.jp", shipping_address=ADDRESS_JP)
    shop.add(cart["id"], "web", "SNK-42", 1)
    shop.add(cart["id"], "web", "SNK-43", 11)
    response = shop.checkout(cart["id"], "web")
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEM + "out-of-stock"
    assert body["lines"] == [{"sku": "SNK-43", "requested": 11, "available": 10}]
    assert payments(db) == []
    for sku in ("SNK-42", "SNK-43"):
        assert shop.stock_of(sku)["reserved"] == 0
    after = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert after["status"] == "active"
    # The shopper lowers the quantity and buys.
    line = after["lines"][1]["id"]
    shop.call("PATCH", f"/v1/carts/{cart['id']}/lines/{line}", "web", json={"quantity": 10})
    assert shop.checkout(cart["id"], "web").status_code == 201


def test_a_declined_payment_releases_the_stock_before_answering(shop: Shop, db: Database) -> None:
    cart_id = ready_cart(shop)
    declined = shop.checkout(cart_id, "web", pay="tok_decline")
    assert declined.status_code == 402
    assert declined.json()["type"] == PROBLEM + "payment-declined"
    assert declined.json()["detail"] == "The payment was declined: card declined"
    assert shop.stock_of("SNK-42")["reserved"] == 0
    assert payments(db) == [("declined", None)]
    # The cart is the shopper's again: another card works.
    paid = shop.checkout(cart_id, "web")
    assert paid.status_code == 201
    assert sorted(payments(db)) == [("authorized", paid.json()["id"]), ("declined", None)]


def test_carts_that_cannot_be_checked_out_say_why(shop: Shop) -> None:
    empty = shop.cart("web", email="a@example.jp", shipping_address=ADDRESS_JP)
    response = shop.checkout(empty["id"], "web")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "cart.lines", "message": "the cart is empty"}]
    bare = shop.cart("web")
    shop.add(bare["id"], "web", "SNK-42")
    response = shop.checkout(bare["id"], "web")
    assert [e["field"] for e in response.json()["errors"]] == [
        "cart.email-required",
        "cart.address-required",
    ]
    abroad = shop.cart("web", email="a@example.jp", shipping_address=ADDRESS_FR)
    shop.add(abroad["id"], "web", "SNK-42")
    response = shop.checkout(abroad["id"], "web")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "cart.no-shipping-rate", "message": "no delivery to FR for this cart"}
    ]
    bad_token = shop.call(
        "POST",
        f"/v1/carts/{abroad['id']}/checkout",
        "web",
        json={"payment": {"provider": "test", "token": "tok_stolen"}},
    )
    assert bad_token.status_code == 422
    assert bad_token.json()["errors"][0]["field"] == "body.payment.token"
    assert shop.stock_of("SNK-42")["reserved"] == 0


def test_a_customer_checkout_appears_in_their_orders_from_every_channel(shop: Shop) -> None:
    session = shop.register("web", "aiko@example.jp")
    token = session["token"]
    cart = shop.cart("web", token=token, shipping_address=ADDRESS_JP)
    shop.add(cart["id"], "web", "SNK-43", token=token)
    order = shop.checkout(cart["id"], "app", token=token)
    assert order.status_code == 201, order.text
    assert (order.json()["customer"], order.json()["email"], order.json()["channel"]) == (
        session["customer"]["id"],
        "aiko@example.jp",
        "app",
    )
    mine = shop.call("GET", "/v1/customers/me/orders", "web", token=token).json()
    assert [o["id"] for o in mine["data"]] == [order.json()["id"]]
    one = shop.call("GET", f"/v1/customers/me/orders/{order.json()['id']}", "web", token=token)
    assert one.status_code == 200
    other = shop.register("web", "ben@example.jp")["token"]
    hidden = shop.call("GET", f"/v1/customers/me/orders/{order.json()['id']}", "web", token=other)
    assert hidden.status_code == 404
    assert shop.call("GET", "/v1/customers/me/orders", "web", token=other).json()["data"] == []
    assert shop.call("GET", "/v1/customers/me/cart", "web", token=token).status_code == 404


def test_pickup_checkout_takes_the_stores_stock(shop: Shop) -> None:
    cart = shop.cart(
        "web", email="a@example.jp", fulfillment={"type": "pickup", "location": "store-ginza"}
    )
    shop.add(cart["id"], "web", "SNK-42", 2)
    order = shop.checkout(cart["id"], "web").json()
    assert order["totals"]["shipping"] == money(0, "JPY")
    assert order["fulfillment"] == {"type": "pickup", "location": "store-ginza"}
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [
        ("store-ginza", 2)
    ]


def test_a_drop_held_at_add_to_cart_is_allocated_from_its_hold(shop: Shop) -> None:
    shop.listing("sneaker", "web", hold_stock="cart", hold_minutes=10)
    cart_id = ready_cart(shop, quantity=3)
    assert shop.stock_of("SNK-42")["reserved"] == 3
    order = shop.checkout(cart_id, "web")
    assert order.status_code == 201
    stock = shop.stock_of("SNK-42")
    assert (stock["reserved"], stock["allocated"]) == (0, 3)


def test_euro_prices_include_tax(admin: TestClient, db: Database) -> None:
    shop = make_shop(admin, db)
    shop.location("wh-paris", country="FR")
    shop.channel("eu", currencies=["EUR"], ship_from=["wh-paris"], prices_include_tax=True)
    shop.product("shirt", ("SH-1",), channels=("eu",), weight_g=300)
    shop.price("SH-1", "EUR", 1999)
    shop.receive("SH-1", "wh-paris", 5)
    shop.tax("FR", "0.20")
    shop.shipping_rate("fr-colissimo", ["FR"], {"EUR": 495})
    cart = shop.cart("eu", email="anne@example.fr", shipping_address=ADDRESS_FR)
    shop.add(cart["id"], "eu", "SH-1", 3)
    order = shop.checkout(cart["id"], "eu").json()
    # €59.97 contains €9.99 of VAT (59.97 − 59.97 / 1.2 = 9.995 → 49.98 net, half-up),
    # €4.95 delivery contains €0.82.
    assert order["totals"] == {
        "subtotal": money(5997, "EUR"),
        "discount": money(0, "EUR"),
        "shipping": money(495, "EUR"),
        "tax": money(0, "EUR"),
        "tax_included": money(999 + 82, "EUR"),
        "total": money(6492, "EUR"),
        "adjustments": [],
    }


def test_dollar_prices_have_tax_added_per_destination(admin: TestClient, db: Database) -> None:
    shop = make_shop(admin, db)
    shop.location("wh-nj", country="US")
    shop.channel(
        "us",
        country="US",
        default_currency="USD",
        currencies=["USD"],
        ship_from=["wh-nj"],
        prices_include_tax=False,
    )
    shop.product("mug", ("MUG",), channels=("us",), category="kitchen", weight_g=400)
    shop.price("MUG", "USD", 1299)
    shop.receive("MUG", "wh-nj", 5)
    shop.tax("US", "0.08875", region="NY")
    shop.tax("US", "0.06625", region="NJ")
    shop.shipping_rate("us-ground", ["US"], {"USD": 599})
    cart = shop.cart("us", email="ann@example.com", shipping_address=ADDRESS_US)
    added = shop.add(cart["id"], "us", "MUG", 2).json()
    # $25.98 × 8.875 % = $2.3057… → $2.31; $5.99 delivery × 8.875 % = $0.5316… → $0.53.
    expected = {
        "subtotal": money(2598, "USD"),
        "discount": money(0, "USD"),
        "shipping": money(599, "USD"),
        "tax": money(231 + 53, "USD"),
        "tax_included": money(0, "USD"),
        "total": money(2598 + 599 + 284, "USD"),
        "adjustments": [],
    }
    assert added["totals"] == expected
    order = shop.checkout(cart["id"], "us").json()
    assert order["totals"] == expected
    assert order["lines"][0]["tax"] == money(231, "USD")


class _SlowProvider(providers.TestProvider):
    """Authorises, but so slowly that the checkout's hold on the stock lapses meanwhile."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def authorize(self, *, amount: int, currency: str, token: str, reference: str) -> Any:
        with self.db.transaction() as session:
            session.execute(update(reservations).values(expires_at=func.now()))
            session.execute(update(reservation_lines).values(expires_at=func.now()))
        return super().authorize(amount=amount, currency=currency, token=token, reference=reference)


def test_a_hold_that_lapses_while_paying_voids_the_payment_and_frees_the_cart(
    shop: Shop, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cart_id = ready_cart(shop)
    monkeypatch.setitem(providers._PROVIDERS, "test", _SlowProvider(db))
    response = shop.checkout(cart_id, "web")
    assert response.status_code == 409
    assert "nothing was charged" in response.json()["detail"]
    with db.transaction(write=False) as session:
        [payment] = session.scalars(select(PaymentRow))
        assert (payment.status, payment.voided, payment.order_id) == ("voided", 24800, None)
    assert shop.stock_of("SNK-42")["reserved"] == 0
    monkeypatch.setitem(providers._PROVIDERS, "test", providers.TestProvider())
    assert shop.checkout(cart_id, "web").status_code == 201


def test_a_checkout_that_dies_after_reserving_gives_the_stock_back_by_itself(
    shop: Shop, db: Database
) -> None:
    # Given a checkout whose process dies right after it reserved (claim step done, the
    # provider never answered)
    from souk.carts import checkout as steps
    from souk.carts.checkout_plan import plan_checkout

    cart_id = ready_cart(shop)
    plan = plan_checkout(db, cart_id=cart_id, channel="web", customer_id=None)
    steps._claim(db, plan, "test")
    assert shop.stock_of("SNK-42")["reserved"] == 2
    busy = shop.checkout(cart_id, "web")
    assert busy.status_code == 409
    assert busy.json()["detail"] == "A checkout of this cart is in progress"
    # When its hold's time has passed (moved into the past rather than waited for)
    with db.transaction() as session:
        session.execute(update(reservations).values(expires_at=func.now()))
        session.execute(update(reservation_lines).values(expires_at=func.now()))
        session.execute(update(CartRow).values(checkout_until=func.now()))
    # Then the units are available again without any clean-up, and the cart can be bought
    assert shop.stock_of("SNK-42")["available"] == 12
    assert shop.checkout(cart_id, "web").status_code == 201
    assert shop.stock_of("SNK-42")["allocated"] == 2
