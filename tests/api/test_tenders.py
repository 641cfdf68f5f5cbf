"""Gift cards and loyalty points paying for a web cart, through HTTP on both back ends:
the cart says what each tender pays and what is left for the card; checkout takes them in
the order's transaction; cancelling gives them back; a refund reaches them in the
documented order (card first, then points, then gift cards); bad tenders are refused with
a clear problem and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.carts import checkout as checkout_module
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.payments.service import refund
from souk.payments.tables import PaymentRow
from tests.api.test_loyalty import PROGRAM
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    return shop


def _card(fr: FrenchShop, amount: int, currency: str = "EUR") -> dict[str, Any]:
    issued = fr.admin.post("/v1/gift-cards", json={"currency": currency, "amount": amount})
    assert issued.status_code == 201, issued.text
    return dict(issued.json())


def _member(fr: FrenchShop, points: int) -> tuple[str, str]:
    created = fr.shop.register("web", "anne@example.com", name="Anne")
    customer = created["customer"]["id"]
    if points:
        given = fr.admin.post(
            "/v1/loyalty/adjustments",
            json={"customer": customer, "points": points, "reason": "welcome"},
        )
        assert given.status_code == 200, given.text
    return customer, created["token"]


def _cart(fr: FrenchShop, token: str | None = None, *lines: tuple[str, int]) -> dict[str, Any]:
    cart = fr.shop.cart("web", token=token, currency="EUR")
    for sku, quantity in lines or (("TEE-M", 1),):
        assert fr.shop.add(cart["id"], "web", sku, quantity, token=token).status_code == 201
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    if token is None:
        body["email"] = "guest@example.com"
    patched = _patch(fr, cart["id"], token, body)
    assert patched.status_code == 200, patched.text
    return dict(patched.json())


def _patch(fr: FrenchShop, cart_id: str, token: str | None, body: Any) -> Any:
    return fr.shop.call("PATCH", f"/v1/carts/{cart_id}", "web", token=token, json=body)


def _balance(fr: FrenchShop, card: dict[str, Any]) -> tuple[int, list[tuple[str, int]]]:
    read = fr.admin.get(f"/v1/gift-cards/{card['id']}").json()
    return read["balance"]["amount"], [(e["type"], e["amount"]) for e in read["ledger"]]


def _points(fr: FrenchShop, token: str) -> dict[str, Any]:
    return dict(fr.shop.call("GET", "/v1/customers/me/loyalty", "web", token=token).json())


def _paid(order: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted((p["method"], p["status"], p["amount"]["amount"]) for p in order["payments"])


def test_gift_card_then_points_then_the_card_pay_a_cart(fr: FrenchShop) -> None:
    _, token = _member(fr, 800)
    card = _card(fr, 1000)
    cart = _cart(fr, token, ("TEE-M", 2))
    total = cart["totals"]["total"]["amount"]
    assert cart["tenders"] == [] and cart["amount_due"]["amount"] == total

    patched = _patch(fr, cart["id"], token, {"gift_cards": [card["code"]], "loyalty_points": 800})
    assert patched.status_code == 200, patched.text
    shown = patched.json()
    assert [(t["method"], t["gift_card"], t["points"], t["amount"]["amount"])
            for t in shown["tenders"]] == [
        ("gift_card", card["id"], None, 1000), ("loyalty_points", None, 800, 800),
    ]  # fmt: skip
    assert shown["tenders"][0]["last4"] == card["last4"]
    assert shown["amount_due"]["amount"] == total - 1800
    assert shown["totals"]["total"]["amount"] == total  # tenders pay it, they do not discount
    assert shown["ready_for_checkout"] is True

    placed = fr.shop.checkout(cart["id"], "web", token=token)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert _paid(order) == sorted([
        ("card", "authorized", total - 1800), ("gift_card", "captured", 1000),
        ("loyalty_points", "captured", 800),
    ])  # fmt: skip
    assert _balance(fr, card) == (0, [("issue", 1000), ("redeem", -1000)])
    mine = _points(fr, token)
    assert mine["balance"] == 0
    assert ("redeem", -800, order["id"]) in [(e["type"], e["points"], e["order"])
                                             for e in mine["history"]]  # fmt: skip

    # Cancelling gives every tender back, and voids the card's authorisation.
    cancelled = fr.admin.post(f"/v1/orders/{order['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    assert _balance(fr, card) == (1000, [("issue", 1000), ("redeem", -1000), ("refund", 1000)])
    assert _paid(cancelled.json()) == sorted([
        ("card", "voided", total - 1800), ("gift_card", "refunded", 1000),
        ("loyalty_points", "refunded", 800),
    ])  # fmt: skip
    fr.dispatch()
    mine = _points(fr, token)
    assert mine["balance"] == 800  # the points paid back; what the order earned clawed back
    assert sum(e["points"] for e in mine["history"]) == 800


def test_a_card_larger_than_the_cart_pays_it_all_and_keeps_the_rest(fr: FrenchShop) -> None:
    card = _card(fr, 100_000)
    cart = _cart(fr)
    total = cart["totals"]["total"]["amount"]
    shown = _patch(fr, cart["id"], None, {"gift_cards": [card["code"]]}).json()
    assert [t["amount"]["amount"] for t in shown["tenders"]] == [total]
    assert shown["amount_due"]["amount"] == 0
    placed = fr.shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    assert _balance(fr, card)[0] == 100_000 - total
    assert sum(p["amount"]["amount"] for p in placed.json()["payments"]) == total


def test_bad_tenders_are_refused_by_name_and_change_nothing(fr: FrenchShop) -> None:
    _, token = _member(fr, 100)
    dollars, empty = _card(fr, 5000, "USD"), _card(fr, 10)
    drained = fr.admin.post(
        f"/v1/gift-cards/{empty['id']}/adjustments", json={"amount": -10, "reason": "used"}
    )
    assert drained.status_code == 200
    good = _card(fr, 500)
    cart = _cart(fr, token)
    cases = [
        ({"gift_cards": [good["code"], "AAAA-BBBB-CCCC-DDDD"]},
         "body.gift_cards.1", "no gift card with that code"),
        ({"gift_cards": [dollars["code"]]}, "body.gift_cards.0", "is in USD, the cart in EUR"),
        ({"gift_cards": [empty["code"]]}, "body.gift_cards.0", "is empty"),
        ({"loyalty_points": 101}, "body.loyalty_points", "you have 100 points, not 101"),
    ]  # fmt: skip
    for body, where, message in cases:
        refused = _patch(fr, cart["id"], token, {**body, "locale": "en"})
        assert refused.status_code == 422, (body, refused.text)
        errors = refused.json()["errors"]
        assert [e["field"] for e in errors] == [where] and message in errors[0]["message"], errors
    assert _patch(fr, cart["id"], token, {"loyalty_points": -1}).status_code == 422
    guest = _cart(fr)
    anonymous = _patch(fr, guest["id"], None, {"loyalty_points": 5})
    assert anonymous.status_code == 422
    assert anonymous.json()["errors"][0]["message"] == "sign in to pay with points"
    after = fr.shop.call("GET", f"/v1/carts/{cart['id']}", "web", token=token).json()
    assert after["tenders"] == [] and after["locale"] == cart["locale"]
    assert after["amount_due"] == after["totals"]["total"]
    # `[]` and `0` take the tenders off again.
    on = _patch(fr, cart["id"], token, {"gift_cards": [good["code"]], "loyalty_points": 50})
    assert len(on.json()["tenders"]) == 2
    off = _patch(fr, cart["id"], token, {"gift_cards": [], "loyalty_points": 0}).json()
    assert off["tenders"] == [] and off["amount_due"] == off["totals"]["total"]


def test_a_spent_card_is_named_before_anything_is_charged(fr: FrenchShop, db: Database) -> None:
    card = _card(fr, 2000)
    first, second = _cart(fr), _cart(fr)
    for cart in (first, second):
        shown = _patch(fr, cart["id"], None, {"gift_cards": [card["code"]]}).json()
        assert shown["tenders"][0]["amount"]["amount"] == 2000
    assert fr.shop.checkout(first["id"], "web").status_code == 201
    refused = fr.shop.checkout(second["id"], "web")
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": "cart.gift-card-unusable",
         "message": f"the gift card ending {card['last4']} is empty"},
    ]  # fmt: skip
    assert _payments_of(db, second["id"]) == []


def test_the_loser_of_a_balance_is_refused_with_409_and_charged_nothing(
    fr: FrenchShop, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _card(fr, 2000)
    cart = _cart(fr)
    _patch(fr, cart["id"], None, {"gift_cards": [card["code"]]})
    authorize = checkout_module.payments.call_authorize

    def meanwhile(**kwargs: Any) -> Any:
        # While the card payment is being authorised, a till spends part of the card.
        spent = fr.admin.post(
            f"/v1/gift-cards/{card['id']}/adjustments", json={"amount": -1, "reason": "till"}
        )
        assert spent.status_code == 200, spent.text
        return authorize(**kwargs)

    monkeypatch.setattr(checkout_module.payments, "call_authorize", meanwhile)
    lost = fr.shop.checkout(cart["id"], "web")
    monkeypatch.undo()
    assert lost.status_code == 409, lost.text
    assert lost.json()["type"] == PROBLEM + "gift-card-declined"
    assert _balance(fr, card) == (1999, [("issue", 2000), ("adjust", -1)])
    assert _payments_of(db, cart["id"]) == [("voided", None)]
    again = fr.shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert again["status"] == "active" and again["ready_for_checkout"] is True
    assert again["tenders"][0]["amount"]["amount"] == 1999
    assert again["lines"][0]["available"] == 12  # the checkout's reservation was released
    assert fr.shop.checkout(cart["id"], "web").status_code == 201


def _payments_of(db: Database, cart_id: str) -> list[tuple[str, str | None]]:
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.scalars(select(PaymentRow).where(PaymentRow.cart_id == cart_id))
        return [(p.status, p.order_id) for p in rows]


def test_a_refund_reaches_points_before_gift_cards_and_gives_each_back_once(
    fr: FrenchShop, db: Database
) -> None:
    _, token = _member(fr, 800)
    card = _card(fr, 1000)
    cart = _cart(fr, token, ("TEE-M", 2))
    _patch(fr, cart["id"], token, {"gift_cards": [card["code"]], "loyalty_points": 800})
    order = fr.shop.checkout(cart["id"], "web", token=token).json()
    # The card is only authorised (captured at shipment): a refund now reaches the points
    # (the last tender applied) first, then the gift card.
    with UnitOfWork(db) as uow:
        refund(session=uow.session, order_id=order["id"], amount=500)
        uow.commit()
    assert _points(fr, token)["balance"] == 500
    assert _balance(fr, card)[0] == 0
    with UnitOfWork(db) as uow:
        refund(session=uow.session, order_id=order["id"], amount=500)
        uow.commit()
    assert _points(fr, token)["balance"] == 800
    assert _balance(fr, card) == (200, [("issue", 1000), ("redeem", -1000), ("refund", 200)])
    with UnitOfWork(db) as uow:
        refund(session=uow.session, order_id=order["id"], amount=800)
        uow.commit()
    assert _balance(fr, card)[0] == 1000
    history = _points(fr, token)["history"]
    assert sorted(e["points"] for e in history if e["type"] == "refund") == [300, 500]
