"""Gift items (`actions[{type: gift_item, sku}]`) through HTTP on both back ends: the gift is
a line of its own at 0 in the cart while the promotion applies and gone when it does not,
is reserved and allocated from stock at checkout like any line, and the till gives the same
line at the same price."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop

GIFT = {
    "name": "A tote with 40 € of tees",
    "conditions": {"skus": ["TEE-M"], "min_subtotal": {"amount": 4000, "currency": "EUR"}},
    "actions": [{"type": "gift_item", "target": "order", "sku": "TOTE"}],
}


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    # The tote is not on sale anywhere: it is only given away.
    shop.shop.product("tote", ("TOTE",), channels=(), category="bags")
    shop.shop.receive("TOTE", "wh-marseille", 1)
    shop.shop.receive("TOTE", "store-paris", 1)
    return shop


def _gift_promotion(fr: FrenchShop) -> str:
    created = fr.admin.post("/v1/promotions", json=GIFT)
    assert created.status_code == 201, created.text
    promotion: str = created.json()["id"]
    return promotion


def _lines(body: dict[str, Any]) -> list[tuple[str, int, int, int, str | None]]:
    return [
        (x["sku"], x["quantity"], x["unit_price"]["amount"], x["total"]["amount"],
         x.get("gift_of"))
        for x in body["lines"]
    ]  # fmt: skip


def _stock(fr: FrenchShop, sku: str) -> dict[str, Any]:
    return fr.shop.stock_of(sku)


def test_the_gift_is_a_zero_line_while_the_condition_holds_and_is_allocated(
    fr: FrenchShop,
) -> None:
    promotion = _gift_promotion(fr)
    cart = fr.shop.cart("web", currency="EUR")
    added = fr.shop.add(cart["id"], "web", "TEE-M", 1).json()
    assert _lines(added) == [("TEE-M", 1, 2500, 2500, None)]  # 25 € < 40 €: no gift
    line_id = added["lines"][0]["id"]
    two = fr.shop.call(
        "PATCH", f"/v1/carts/{cart['id']}/lines/{line_id}", "web", json={"quantity": 2}
    ).json()
    assert _lines(two) == [("TEE-M", 2, 2500, 5000, None), ("TOTE", 1, 0, 0, promotion)]
    assert two["totals"]["subtotal"]["amount"] == 5000
    assert two["totals"]["total"]["amount"] == 5000  # the gift costs nothing (no address yet)
    assert two["lines"][1]["tax"]["amount"] == 0
    # Back under the minimum: the gift goes with the condition.
    one = fr.shop.call(
        "PATCH", f"/v1/carts/{cart['id']}/lines/{line_id}", "web", json={"quantity": 1}
    ).json()
    assert _lines(one) == [("TEE-M", 1, 2500, 2500, None)]
    fr.shop.call("PATCH", f"/v1/carts/{cart['id']}/lines/{line_id}", "web", json={"quantity": 2})
    body = {"email": "anne@example.com", "shipping_address": ADDRESS_PARIS}
    ready = fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body).json()
    assert ready["ready_for_checkout"] is True
    available_before = _stock(fr, "TOTE")["available"]
    placed = fr.shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert [(x["sku"], x["quantity"], x["unit_price"]["amount"]) for x in order["lines"]] == [
        ("TEE-M", 2, 2500),
        ("TOTE", 1, 0),
    ]
    assert order["totals"]["subtotal"]["amount"] == 5000
    # A gift is a use of its promotion like a discount, so its limits hold.
    assert fr.admin.get(f"/v1/promotions/{promotion}").json()["times_used"] == 1
    fr.dispatch()
    tote = _stock(fr, "TOTE")
    assert (tote["allocated"], tote["available"]) == (1, available_before - 1)
    routed = fr.admin.get(f"/v1/orders/{order['id']}").json()
    gift_line = next(x for x in routed["lines"] if x["sku"] == "TOTE")
    assert sum(a["quantity"] for a in gift_line["allocations"]) == 1


def test_no_gift_is_given_when_none_is_in_stock(fr: FrenchShop) -> None:
    _gift_promotion(fr)
    for location in ("wh-marseille", "store-paris"):
        moved = fr.admin.post(
            "/v1/inventory/movements",
            json={"sku": "TOTE", "location": location, "type": "adjustment", "quantity": -1},
        )
        assert moved.status_code == 201, moved.text
    cart = fr.shop.cart("web", currency="EUR")
    shown = fr.shop.add(cart["id"], "web", "TEE-M", 2).json()
    assert _lines(shown) == [("TEE-M", 2, 2500, 5000, None)]


def test_the_till_gives_the_same_gift_line_and_hands_it_over(fr: FrenchShop) -> None:
    _gift_promotion(fr)
    cart = fr.shop.cart("web", currency="EUR")
    web = fr.shop.add(cart["id"], "web", "TEE-M", 2).json()
    on_hand = fr.on_hand("TOTE", "store-paris")
    sold = fr.admin.post(
        "/v1/pos/sales",
        headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"},
        json={
            "client_txn_id": "till-gift-1",
            "occurred_at": utcnow().isoformat(),
            "lines": [{"sku": "TEE-M", "quantity": 2}],
            "payments": [{"method": "card", "amount": 5000}],
        },
    )
    assert sold.status_code == 201, sold.text
    order = sold.json()
    till = [(x["sku"], x["quantity"], x["unit_price"]["amount"], x["total"]["amount"])
            for x in order["lines"]]  # fmt: skip
    assert till == [(sku, q, unit, total) for sku, q, unit, total, _ in _lines(web)]
    assert till[1] == ("TOTE", 1, 0, 0)
    assert fr.on_hand("TOTE", "store-paris") == on_hand - 1
