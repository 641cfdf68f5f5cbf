"""Carts over HTTP on both back ends: one cart across channels and devices, merge on
sign-in, currencies and locales, re-pricing on every read, holds, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from souk.carts.tables import CartLineRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.inventory.tables import reservation_lines, reservations
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    return tokyo_shop(admin, db)


def lines(cart: dict[str, Any]) -> list[tuple[str, int, int | None]]:
    return [
        (x["sku"], x["quantity"], x["unit_price"]["amount"] if x["unit_price"] else None)
        for x in cart["lines"]
    ]


def test_one_cart_from_the_web_in_japanese_to_the_app_in_english(shop: Shop) -> None:
    # Given a shopper on the web shop in Japanese, paying in yen
    token = shop.register("web", "aiko@example.jp", locale="ja")["token"]
    cart = shop.cart("web", token=token)
    assert (cart["currency"], cart["locale"], cart["customer"] is not None) == ("JPY", "ja", True)
    added = shop.add(cart["id"], "web", "SNK-42", 2, token=token).json()
    assert added["lines"][0]["title"] == "スニーカー"
    # When they open the app days later, abroad, in English
    mine = shop.call("GET", "/v1/customers/me/cart", "app", token=token)
    assert mine.status_code == 200
    in_app = shop.call(
        "PATCH", f"/v1/carts/{cart['id']}", "app", token=token, json={"locale": "en"}
    ).json()
    # Then it is the same cart, with the same lines at the same prices, shown in English
    assert mine.json()["id"] == in_app["id"] == cart["id"]
    assert lines(in_app) == lines(added) == [("SNK-42", 2, 12000)]
    assert in_app["totals"] == added["totals"]
    assert (in_app["currency"], in_app["locale"]) == ("JPY", "en")
    assert in_app["lines"][0]["title"] == "Sneaker"
    assert (added["channel"], mine.json()["channel"], in_app["channel"]) == ("web", "app", "app")
    # And creating a cart again on another device gives back that one cart
    again = shop.call("POST", "/v1/carts", "web", token=token, json={"currency": "USD"})
    assert again.status_code == 200 and again.json()["id"] == cart["id"]


def test_an_anonymous_cart_is_reached_by_its_id_from_any_channel(shop: Shop) -> None:
    cart = shop.cart("web")
    assert cart["customer"] is None and cart["lines"] == []
    shop.add(cart["id"], "web", "SNK-43")
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "app").json()
    assert lines(seen) == [("SNK-43", 1, 12000)] and seen["channel"] == "app"


def test_signing_in_merges_the_anonymous_cart(shop: Shop) -> None:
    # Given a customer whose cart holds one pair of 42s
    token = shop.register("web", "aiko@example.jp")["token"]
    mine = shop.cart("web", token=token)
    shop.add(mine["id"], "web", "SNK-42", 1, token=token)
    # and an anonymous cart on another device with three 42s and one 43
    anonymous = shop.cart("app", currency="USD")
    shop.add(anonymous["id"], "app", "SNK-42", 3)
    shop.add(anonymous["id"], "app", "SNK-43", 1)
    # When they sign in on that device
    login = shop.call(
        "POST",
        "/v1/customers/login",
        "app",
        json={
            "email": "aiko@example.jp",
            "password": "correct horse battery",
            "cart_id": anonymous["id"],
        },
    )
    # Then the customer's cart keeps its currency and the larger quantity of a shared SKU
    assert login.status_code == 200 and login.json()["cart_id"] == mine["id"]
    merged = shop.call("GET", "/v1/customers/me/cart", "app", token=token).json()
    assert merged["currency"] == "JPY"
    assert lines(merged) == [("SNK-42", 3, 12000), ("SNK-43", 1, 12000)]
    assert merged["changes"] == []
    old = shop.call("GET", f"/v1/carts/{anonymous['id']}", "app").json()
    assert (old["status"], old["merged_into"], old["lines"]) == ("merged", mine["id"], [])
    closed = shop.add(anonymous["id"], "app", "SNK-42")
    assert closed.status_code == 409 and closed.json()["type"] == PROBLEM + "invalid-state"


def test_registering_adopts_the_anonymous_cart(shop: Shop) -> None:
    anonymous = shop.cart("web")
    shop.add(anonymous["id"], "web", "SNK-42")
    created = shop.register("web", "new@example.jp", cart_id=anonymous["id"])
    assert created["cart_id"] == anonymous["id"]
    mine = shop.call("GET", "/v1/customers/me/cart", "web", token=created["token"]).json()
    assert mine["id"] == anonymous["id"] and mine["customer"] == created["customer"]["id"]
    # The adopted cart is the customer's alone now.
    assert shop.call("GET", f"/v1/carts/{anonymous['id']}", "web").status_code == 401


def test_switching_currency_reprices_every_line(shop: Shop) -> None:
    cart = shop.cart("web")
    shop.add(cart["id"], "web", "SNK-42", 2)
    usd = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json={"currency": "USD"}).json()
    assert usd["currency"] == "USD" and usd["changes"] == []
    assert lines(usd) == [("SNK-42", 2, 8900)]
    assert usd["totals"]["subtotal"] == {"amount": 17800, "currency": "USD"}
    # EUR is sold by the channel but the sneaker has no EUR price: the line says so.
    eur = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json={"currency": "EUR"}).json()
    assert eur["lines"][0]["unit_price"] is None
    assert eur["lines"][0]["issues"] == ["not-priced"]
    assert eur["totals"]["subtotal"] == {"amount": 0, "currency": "EUR"}
    assert eur["ready_for_checkout"] is False
    refused = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json={"currency": "GBP"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.currency"
    after = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert after["currency"] == "EUR"


def test_every_read_reprices_and_says_what_changed_once(shop: Shop, db: Database) -> None:
    cart = shop.cart("web")
    shop.add(cart["id"], "web", "SNK-42")
    shop.price_update("SNK-42", "JPY", 9900)
    first = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert lines(first) == [("SNK-42", 1, 9900)]
    assert first["changes"] == [
        {
            "line_id": first["lines"][0]["id"],
            "sku": "SNK-42",
            "reason": "price-changed",
            "message": "the price changed",
            "previous": {"amount": 12000, "currency": "JPY"},
            "current": {"amount": 9900, "currency": "JPY"},
        }
    ]
    second = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert second["changes"] == [] and lines(second) == [("SNK-42", 1, 9900)]


def test_stock_changes_are_reported_on_read(shop: Shop) -> None:
    cart = shop.cart("web")
    shop.add(cart["id"], "web", "SNK-43", 3)
    shop.admin.post(
        "/v1/inventory/movements",
        json={"sku": "SNK-43", "location": "wh-tokyo", "type": "damage", "quantity": 9},
    )
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    line = seen["lines"][0]
    assert (line["available"], line["issues"]) == (1, ["insufficient-stock"])
    assert [(c["reason"], c["sku"]) for c in seen["changes"]] == [("insufficient-stock", "SNK-43")]
    # Still counted: stock may come back before checkout, which decides.
    assert seen["totals"]["subtotal"]["amount"] == 36000


def test_pickup_in_store_is_free_and_says_what_the_store_has(shop: Shop) -> None:
    cart = shop.cart("web", email="a@example.jp")
    shop.add(cart["id"], "web", "SNK-42", 2)
    shop.add(cart["id"], "web", "SNK-43", 1)
    pickup = shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        json={"fulfillment": {"type": "pickup", "location": "store-ginza"}},
    ).json()
    assert pickup["fulfillment"] == {"type": "pickup", "location": "store-ginza"}
    assert pickup["shipping"] == {
        "rate": "pickup",
        "name": "Pickup in store",
        "amount": {"amount": 0, "currency": "JPY"},
    }
    assert [(x["sku"], x["pickup_available"]) for x in pickup["lines"]] == [
        ("SNK-42", True),
        ("SNK-43", False),
    ]
    elsewhere = shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        json={"fulfillment": {"type": "pickup", "location": "wh-tokyo"}},
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "body.fulfillment.location"


def test_a_drop_cannot_be_added_before_it_opens_or_after_it_closes(shop: Shop) -> None:
    from datetime import timedelta

    now = utcnow()
    shop.product(
        "drop-future", ("DROP-F",), channels=("web",), available_from=now + timedelta(hours=1)
    )
    shop.product(
        "drop-past", ("DROP-P",), channels=("web",), available_until=now - timedelta(hours=1)
    )
    shop.price("DROP-F", "JPY", 30000)
    shop.price("DROP-P", "JPY", 30000)
    cart = shop.cart("web")
    early = shop.add(cart["id"], "web", "DROP-F")
    late = shop.add(cart["id"], "web", "DROP-P")
    elsewhere = shop.add(cart["id"], "app", "DROP-F")
    assert early.status_code == late.status_code == elsewhere.status_code == 422
    assert early.json()["errors"] == [{"field": "body.sku", "message": "DROP-F is not on sale yet"}]
    assert late.json()["errors"] == [
        {"field": "body.sku", "message": "DROP-P is no longer on sale"}
    ]
    assert elsewhere.json()["errors"] == [
        {"field": "body.sku", "message": "DROP-F is not sold in this channel"}
    ]
    assert shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()["lines"] == []


def test_a_line_whose_drop_closed_is_flagged_and_left_out(shop: Shop) -> None:
    from datetime import timedelta

    cart = shop.cart("web", email="a@example.jp", shipping_address=ADDRESS_JP)
    shop.add(cart["id"], "web", "SNK-42")
    shop.add(cart["id"], "web", "SNK-43")
    shop.listing("sneaker", "web", available_until=utcnow() - timedelta(minutes=1))
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert [x["issues"] for x in seen["lines"]] == [["no-longer-available"]] * 2
    assert seen["totals"]["subtotal"]["amount"] == 0
    assert seen["ready_for_checkout"] is False
    refused = shop.checkout(cart["id"], "web")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["cart.lines.0", "cart.lines.1"]


def test_hold_at_add_to_cart_shows_its_expiry_and_lapses_by_itself(
    shop: Shop, db: Database
) -> None:
    shop.listing("sneaker", "web", hold_stock="cart", hold_minutes=5)
    cart = shop.cart("web")
    added = shop.add(cart["id"], "web", "SNK-43", 2).json()
    hold = added["lines"][0]["hold"]
    assert hold is not None
    assert 290 <= (_parse(hold["expires_at"]) - utcnow()).total_seconds() <= 300
    assert shop.stock_of("SNK-43")["reserved"] == 2
    assert added["lines"][0]["available"] == 10  # the cart's own hold counts for it
    # When the hold's time is up (moved into the past rather than waited for)
    with db.transaction() as session:
        session.execute(update(reservations).values(expires_at=utcnow()))
        session.execute(update(reservation_lines).values(expires_at=utcnow()))
        session.execute(update(CartLineRow).values(hold_expires_at=utcnow()))
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    # Then the units are available again without anyone cleaning up, and the cart says so
    assert shop.stock_of("SNK-43")["available"] == 10
    assert seen["lines"][0]["hold"] is None
    assert seen["lines"][0]["issues"] == ["hold-expired"]
    # Changing the line takes a new hold.
    line_id = seen["lines"][0]["id"]
    again = shop.call(
        "PATCH", f"/v1/carts/{cart['id']}/lines/{line_id}", "web", json={"quantity": 1}
    ).json()
    assert again["lines"][0]["hold"] is not None and again["lines"][0]["issues"] == []
    assert shop.stock_of("SNK-43")["available"] == 9
    removed = shop.call("DELETE", f"/v1/carts/{cart['id']}/lines/{line_id}", "web").json()
    assert removed["lines"] == [] and shop.stock_of("SNK-43")["available"] == 10


def test_bad_lines_are_refused_and_nothing_is_written(shop: Shop) -> None:
    cart = shop.cart("web")
    shop.add(cart["id"], "web", "SNK-42", 98)
    cases = {
        "unknown": ({"sku": "NOPE", "quantity": 1}, ["body.sku"]),
        "zero": ({"sku": "SNK-42", "quantity": 0}, ["body.quantity"]),
        "negative": ({"sku": "SNK-42", "quantity": -2}, ["body.quantity"]),
        "above the line limit": ({"sku": "SNK-43", "quantity": 100}, ["body.quantity"]),
        "over the limit in all": ({"sku": "SNK-42", "quantity": 2}, ["body.quantity"]),
        "not a sku": ({"sku": "a\u0000b", "quantity": 1}, ["body.sku"]),
    }
    for name, (body, fields) in cases.items():
        response = shop.call("POST", f"/v1/carts/{cart['id']}/lines", "web", json=body)
        assert response.status_code == 422, name
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == fields, name
    assert lines(shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()) == [
        ("SNK-42", 98, 12000)
    ]
    assert shop.call("POST", "/v1/carts", "web", json={"currency": "GBP"}).status_code == 422
    assert shop.add("cart_nope", "web", "SNK-42").status_code == 404


def test_another_customers_cart_is_forbidden(shop: Shop) -> None:
    ana = shop.register("web", "ana@example.jp")["token"]
    ben = shop.register("web", "ben@example.jp")["token"]
    cart = shop.cart("web", token=ana)
    shop.add(cart["id"], "web", "SNK-42", token=ana)
    path = f"/v1/carts/{cart['id']}"
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"locale": "en"}),
        ("POST", "/lines", {"sku": "SNK-43", "quantity": 1}),
        ("POST", "/checkout", {"payment": {"provider": "test", "token": "tok_ok"}}),
    ):
        as_ben = shop.call(method, path + suffix, "web", token=ben, json=body)
        anonymous = shop.call(method, path + suffix, "web", json=body)
        assert as_ben.status_code == 403, (method, suffix)
        assert anonymous.status_code == 401, (method, suffix)
    assert shop.call("GET", "/v1/customers/me/cart", "web", token=ben).status_code == 404
    untouched = shop.call("GET", path, "web", token=ana).json()
    assert lines(untouched) == [("SNK-42", 1, 12000)] and untouched["locale"] == "ja"


def test_an_unknown_gift_card_or_points_without_sign_in_are_refused(shop: Shop) -> None:
    cart = shop.cart("web")
    response = shop.call(
        "PATCH", f"/v1/carts/{cart['id']}", "web",
        json={"gift_cards": ["AAAA-BBBB-CCCC"], "loyalty_points": 10},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body.gift_cards.0", "message": "no gift card with that code"},
        {"field": "body.loyalty_points", "message": "sign in to pay with points"},
    ]
    unchanged = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert unchanged["tenders"] == []


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))
