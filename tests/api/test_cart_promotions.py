"""Promotions in carts and orders through HTTP, on SQLite and PostgreSQL: a code takes its
discount on the lines it is about, the order keeps exactly what the cart showed and which
promotion produced it, refused codes are listed with their reason and never silently
dropped, limits are taken once, a cancelled order gives its use back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = tokyo_shop(admin, db)
    shop.product("cap", ("CAP-1",), channels=("web", "app"), category="hats")
    shop.price("CAP-1", "JPY", 3000)
    shop.receive("CAP-1", "wh-tokyo", 10)
    return shop


def _money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "JPY"}


def _promotion(shop: Shop, **body: Any) -> str:
    response = shop.admin.post("/v1/promotions", json={"name": "promo", **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _code(shop: Shop, promotion: str, **body: Any) -> list[str]:
    response = shop.admin.post(f"/v1/promotions/{promotion}/codes", json=body)
    assert response.status_code == 201, response.text
    return list(response.json()["codes"])


def _cart(shop: Shop, channel: str = "web", **lines: int) -> str:
    cart = shop.cart(channel, email="aiko@example.jp", shipping_address=ADDRESS_JP)
    for sku, quantity in lines.items():
        added = shop.add(cart["id"], channel, sku.replace("_", "-"), quantity)
        assert added.status_code == 201, added.text
    return str(cart["id"])


def _patch(shop: Shop, cart_id: str, channel: str = "web", **body: Any) -> dict[str, Any]:
    response = shop.call("PATCH", f"/v1/carts/{cart_id}", channel, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


SHOES_10 = {
    "coupon_required": True,
    "conditions": {"categories": ["shoes"]},
    "actions": [{"type": "percent_off", "target": "lines", "value": "10"}],
}


def test_a_code_discounts_its_lines_and_the_order_keeps_what_the_cart_showed(
    shop: Shop,
) -> None:
    pid = _promotion(shop, **SHOES_10)
    _code(shop, pid, code="WELCOME10")
    cart_id = _cart(shop, SNK_42=2, CAP_1=1)
    cart = _patch(shop, cart_id, coupon_codes=["welcome10"])
    sneakers, cap = cart["lines"]
    adjustment = {"promotion": pid, "code": "WELCOME10", "target": "lines", "amount": _money(2400)}
    assert (sneakers["discount"], sneakers["total"]) == (_money(2400), _money(21600))
    assert sneakers["adjustments"] == [adjustment]
    assert (cap["discount"], cap["adjustments"]) == (_money(0), [])
    # Tax is on what is paid: 10 % contained in ¥21,600 + ¥3,000 + ¥800 delivery.
    assert cart["totals"] == {
        "subtotal": _money(27000),
        "discount": _money(2400),
        "shipping": _money(800),
        "tax": _money(0),
        "tax_included": _money(1964 + 273 + 73),
        "total": _money(25400),
        "adjustments": [adjustment],
    }
    assert cart["problems"] == [] and cart["ready_for_checkout"] is True

    placed = shop.checkout(cart_id, "web")
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["totals"] == cart["totals"]
    assert [line["discount"] for line in order["lines"]] == [_money(2400), _money(0)]
    assert order["payments"][0]["amount"] == _money(25400)
    assert shop.admin.get(f"/v1/promotions/{pid}").json()["times_used"] == 1
    read = shop.admin.get(f"/v1/orders/{order['id']}").json()
    assert read["totals"] == cart["totals"]


def test_refused_codes_are_listed_with_their_reason_and_block_the_checkout(shop: Shop) -> None:
    pid = _promotion(shop, **SHOES_10)
    (code,) = _code(shop, pid, count=1)
    customer = shop.register("web", "ben@example.jp")["customer"]["id"]
    personal = shop.admin.post(
        "/v1/coupons/personal", json={"promotion": pid, "customer": customer}
    )
    cart_id = _cart(shop, CAP_1=1)
    cart = _patch(shop, cart_id, coupon_codes=["NOPE-1", personal.json()["code"], code])
    assert cart["problems"] == [
        {"code": "coupon-invalid", "message": "NOPE-1: unknown code"},
        {
            "code": "coupon-invalid",
            "message": f"{personal.json()['code']}: this code belongs to another customer",
        },
        {
            "code": "coupon-not-applicable",
            "message": f"{code}: no line of the cart is one the promotion is about",
        },
    ]
    assert cart["ready_for_checkout"] is False and cart["totals"]["discount"] == _money(0)
    refused = shop.checkout(cart_id, "web")
    assert refused.status_code == 422
    assert "NOPE-1: unknown code" in refused.text
    # Taking the codes out makes the cart good again, at the full price.
    cleared = _patch(shop, cart_id, coupon_codes=[])
    assert cleared["problems"] == [] and cleared["ready_for_checkout"] is True


def test_a_single_use_code_is_used_up_by_the_first_order_and_given_back_on_cancel(
    shop: Shop,
) -> None:
    pid = _promotion(shop, **SHOES_10)
    (code,) = _code(shop, pid, count=1)
    first = _cart(shop, SNK_42=1)
    _patch(shop, first, coupon_codes=[code])
    order = shop.checkout(first, "web").json()
    assert order["totals"]["discount"] == _money(1200)

    second = _cart(shop, SNK_42=1)
    cart = _patch(shop, second, coupon_codes=[code])
    assert cart["problems"] == [
        {"code": "coupon-invalid", "message": f"{code}: this code has been used up"}
    ]
    cancelled = shop.admin.post(f"/v1/orders/{order['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    dispatcher = shop.admin.app.state.dispatcher  # type: ignore[attr-defined]
    while dispatcher.dispatch_pending():
        pass
    assert shop.admin.get(f"/v1/promotions/{pid}").json()["times_used"] == 0
    again = shop.call("GET", f"/v1/carts/{second}", "web").json()
    assert again["problems"] == [] and again["totals"]["discount"] == _money(1200)
    assert shop.checkout(second, "web").status_code == 201


def test_an_automatic_promotion_applies_in_its_channel_and_free_shipping_takes_the_charge(
    shop: Shop,
) -> None:
    app_only = _promotion(
        shop,
        channels=["app"],
        actions=[
            {"type": "amount_off", "target": "order", "value": 1000, "currency": "JPY"},
            {"type": "free_shipping", "target": "shipping"},
        ],
    )
    web = shop.call("GET", f"/v1/carts/{_cart(shop, SNK_42=1, CAP_1=1)}", "web").json()
    assert web["totals"]["discount"] == _money(0) and web["totals"]["adjustments"] == []
    app = shop.call("GET", f"/v1/carts/{_cart(shop, 'app', SNK_42=1, CAP_1=1)}", "app").json()
    # ¥1,000 spread by largest remainder over ¥12,000 and ¥3,000: 800 + 200.
    assert [line["discount"]["amount"] for line in app["lines"]] == [800, 200]
    assert app["totals"]["shipping"] == _money(0)
    assert app["totals"]["total"] == _money(14000)
    assert app["totals"]["adjustments"] == [
        {"promotion": app_only, "code": None, "target": "lines", "amount": _money(1000)},
        {"promotion": app_only, "code": None, "target": "shipping", "amount": _money(800)},
    ]


def test_the_preview_says_for_every_promotion_whether_it_applies_and_why_not(
    shop: Shop,
) -> None:
    shoes = _promotion(shop, **SHOES_10)
    app_only = _promotion(
        shop, channels=["app"], actions=[{"type": "percent_off", "target": "lines", "value": "5"}]
    )
    later = _promotion(
        shop,
        starts_at="2099-01-01T00:00:00Z",
        actions=[{"type": "percent_off", "target": "lines", "value": "5"}],
    )
    everyone = _promotion(shop, actions=[{"type": "percent_off", "target": "lines", "value": "5"}])
    cart_id = _cart(shop, SNK_42=1)
    before = shop.call("GET", f"/v1/carts/{cart_id}", "web").json()
    preview = shop.admin.post(f"/v1/carts/{cart_id}/preview-promotions", json={})
    assert preview.status_code == 200, preview.text
    verdicts = {p["promotion"]: (p["applies"], p["reason"], p["amount"]["amount"])
                for p in preview.json()["promotions"]}  # fmt: skip
    assert verdicts == {
        shoes: (False, "needs a coupon code", 0),
        app_only: (False, "not offered in channel web", 0),
        later: (False, "the promotion has not started yet", 0),
        everyone: (True, None, 600),
    }
    after = shop.call("GET", f"/v1/carts/{cart_id}", "web").json()
    assert after["totals"] == before["totals"]
    storefront = shop.call("POST", f"/v1/carts/{cart_id}/preview-promotions", "web", json={})
    assert storefront.status_code in (401, 403)


def test_a_limit_reached_shows_at_once_and_uses_of_every_promotion_are_counted(
    shop: Shop,
) -> None:
    # Given an automatic promotion usable once, and one without a limit, both on shoes
    shoes = {"categories": ["shoes"]}
    yen_off = {"type": "amount_off", "target": "order", "value": 1000, "currency": "JPY"}
    once = _promotion(shop, usage_limit=1, conditions=shoes, actions=[yen_off])
    ten_percent = {"type": "percent_off", "target": "lines", "value": "10"}
    always = _promotion(shop, conditions=shoes, actions=[ten_percent])
    first = _cart(shop, SNK_42=1)
    shown = shop.call("GET", f"/v1/carts/{first}", "web").json()["totals"]["discount"]
    assert shown["amount"] > 1200  # both apply
    assert shop.checkout(first, "web").json()["totals"]["discount"] == shown
    # When the next shopper's cart is read right after, in the same process
    second = shop.call("GET", f"/v1/carts/{_cart(shop, SNK_42=1)}", "web").json()
    # Then the used-up promotion is gone from it and the other still applies
    applied = {a["promotion"] for line in second["lines"] for a in line["adjustments"]}
    applied |= {a["promotion"] for a in second["totals"]["adjustments"]}
    assert applied == {always} and second["totals"]["discount"] == _money(1200)
    uses = {
        pid: shop.admin.get(f"/v1/promotions/{pid}").json()["times_used"] for pid in (once, always)
    }
    assert uses == {once: 1, always: 1}
