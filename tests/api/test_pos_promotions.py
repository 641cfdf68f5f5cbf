"""The one promotion engine at the till, through HTTP on both back ends.

A property (hypothesis): the same basket, shopper and moment get the very same adjustments
on a web cart and in a till sale, to the minor unit — whatever the promotions, their
priorities and stacking. And journeys: a personal coupon issued online used at the till,
a single-use code refused at the till once it was used online, a bad code refusing the
sale without recording anything."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from souk.db.engine import Database
from souk.settings import Settings
from tests.api.test_pos import RECENTLY, _orders, _till
from tests.fulfilment_factories import ADDRESS_PARIS, PRICES, FrenchShop, french_shop

SKUS = tuple(PRICES)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"promotions_cache_ms": 0})


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    for sku in SKUS:  # enough on both sides that stock never decides anything here
        shop.shop.receive(sku, "store-paris", 1000)
    return shop


ACTIONS = st.one_of(
    st.builds(lambda t, v: {"type": "percent_off", "target": t, "value": v},
              st.sampled_from(["order", "lines"]),
              st.sampled_from(["5", "10", "12.5", "33.3", "50", "100"])),
    st.builds(lambda t, a: {"type": "amount_off", "target": t, "value": a, "currency": "EUR"},
              st.sampled_from(["order", "lines"]), st.integers(1, 6000)),
    st.builds(lambda b, g: {"type": "buy_x_get_y", "target": "lines", "buy": b, "get": g},
              st.integers(1, 3), st.integers(1, 2)),
    st.builds(lambda a: {"type": "fixed_price", "target": "lines", "value": a, "currency": "EUR"},
              st.integers(0, 3000)),
)  # fmt: skip
PROMOTIONS = st.lists(
    st.fixed_dictionaries(
        {
            "actions": st.lists(ACTIONS, min_size=1, max_size=1),
            "priority": st.integers(0, 3),
            "stacking": st.sampled_from(["exclusive", "combinable"]),
            "conditions": st.one_of(
                st.just({}),
                st.builds(
                    lambda s: {"skus": sorted(s)}, st.sets(st.sampled_from(SKUS), min_size=1)
                ),
                st.builds(lambda q: {"min_quantity": q}, st.integers(1, 4)),
            ),
        }
    ),
    max_size=4,
)  # fmt: skip
BASKETS = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3,
    unique_by=lambda x: x[0],
)  # fmt: skip


def _web(fr: FrenchShop, basket: list[tuple[str, int]]) -> dict[str, Any]:
    cart = fr.shop.cart("web", currency="EUR")
    for sku, quantity in basket:
        assert fr.shop.add(cart["id"], "web", sku, quantity).status_code == 201
    body = {"email": "anne@example.com", "shipping_address": ADDRESS_PARIS}
    shown = fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body)
    assert shown.status_code == 200, shown.text
    return dict(shown.json())


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(promotions=PROMOTIONS, basket=BASKETS)
def test_web_and_till_give_the_same_adjustments_to_the_minor_unit(
    fr: FrenchShop, promotions: list[dict[str, Any]], basket: list[tuple[str, int]]
) -> None:
    ids = []
    for i, body in enumerate(promotions):
        created = fr.admin.post(
            "/v1/promotions", json={"name": f"p{i}", "coupon_required": False, **body}
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    try:
        cart = _web(fr, basket)
        paid = sum(x["total"]["amount"] for x in cart["lines"])  # tax included, no shipping
        sold = _till(fr).post("/v1/pos/sales", json={
            "client_txn_id": f"prop-{uuid4().hex}",
            "occurred_at": RECENTLY,
            "lines": [{"sku": s, "quantity": q} for s, q in basket],
            "customer": {"email": "anne@example.com"},
            "payments": [{"method": "card", "amount": paid}] if paid else [],
        })  # fmt: skip
        assert sold.status_code in (200, 201), sold.text
        order = sold.json()
        assert order["totals"]["discount"] == cart["totals"]["discount"]
        web_lines = {
            x["sku"]: (x["discount"]["amount"],
                       sorted((a["promotion"], a["amount"]["amount"]) for a in x["adjustments"]))
            for x in cart["lines"]
        }  # fmt: skip
        till_lines = {x["sku"]: x["discount"]["amount"] for x in order["lines"]}
        assert till_lines == {sku: d for sku, (d, _) in web_lines.items()}
        web_totals = sorted(
            (a["promotion"], a["amount"]["amount"])
            for a in cart["totals"]["adjustments"] if a["target"] == "lines"
        )  # fmt: skip
        till_totals = sorted(
            (a["promotion"], a["amount"]["amount"]) for a in order["totals"]["adjustments"]
        )
        assert till_totals == web_totals
    finally:
        for promotion_id in ids:
            assert fr.admin.delete(f"/v1/promotions/{promotion_id}").status_code == 204


def test_a_personal_coupon_issued_online_is_used_at_the_till_once(
    fr: FrenchShop, db: Database
) -> None:
    customer = fr.shop.register("web", "anne@example.com")["customer"]["id"]
    assert fr.admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LC-1"}).is_success
    promotion = fr.admin.post("/v1/promotions", json={
        "name": "Coffee lover", "coupon_required": True, "usage_limit": 1,
        "actions": [{"type": "percent_off", "target": "order", "value": "10"}],
    }).json()["id"]  # fmt: skip
    personal = fr.admin.post(
        "/v1/coupons/personal", json={"promotion": promotion, "customer": customer}
    )
    assert personal.status_code == 201, personal.text
    code = personal.json()["code"]
    till = _till(fr)

    def sale(txn: str, who: dict[str, str], paid: int) -> Any:
        return till.post("/v1/pos/sales", json={
            "client_txn_id": txn, "occurred_at": RECENTLY, "customer": who,
            "lines": [{"sku": "TEE-M", "quantity": 1}], "coupon_codes": [code],
            "payments": [{"method": "card", "amount": paid}],
        })  # fmt: skip

    stranger = sale("c-0", {"email": "ben@example.com"}, 2250)
    assert stranger.status_code == 422, stranger.text
    assert stranger.json()["errors"][0]["field"] == "coupon_codes"
    used = sale("c-1", {"loyalty_card": "LC-1"}, 2250)
    assert used.status_code == 201, used.text
    (adjustment,) = used.json()["totals"]["adjustments"]
    assert (adjustment["promotion"], adjustment["code"], adjustment["amount"]["amount"]) == (
        promotion, code, 250,
    )  # fmt: skip
    assert fr.admin.get(f"/v1/promotions/{promotion}").json()["times_used"] == 1
    again = sale("c-2", {"loyalty_card": "LC-1"}, 2250)
    assert again.status_code == 422, again.text
    assert _orders(db) == 1
