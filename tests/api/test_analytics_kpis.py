"""The KPI board over HTTP, fed by real checkouts, till sales, tracking and a return, on
both back ends: every figure is checked against what the calls did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from tests.api.test_cdp_orders import _member, _till_sale, _web_order
from tests.api.test_loyalty import PROGRAM
from tests.fulfilment_factories import ADDRESS_PARIS, PLACES, FrenchShop, french_shop
from tests.integration.cdp.factories import send, write_key


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"analytics_path": str(tmp_path / "analytics.duckdb")})


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    return shop


def _guest_pickup(fr: FrenchShop) -> dict[str, Any]:
    cart = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(cart["id"], "web", "MUG", 1).status_code in (200, 201)
    body = {
        "email": "guest@example.com",
        "fulfillment": {"type": "pickup", "location": "store-lyon"},
    }
    assert fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body).status_code == 200
    placed = fr.shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    return dict(placed.json())


def _anonymous_till_sale(fr: FrenchShop) -> str:
    sold = fr.admin.post(
        "/v1/pos/sales",
        headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"},
        json={
            "client_txn_id": "anon-1",
            "occurred_at": utcnow().isoformat(),
            "lines": [{"sku": "TEE-M", "quantity": 1}],
            "payments": [{"method": "cash", "amount": 2500}],
        },
    )
    assert sold.status_code == 201, sold.text
    return str(sold.json()["id"])


def test_the_kpi_board_counts_what_happened(backend: str, fr: FrenchShop) -> None:
    admin = fr.admin
    customer, token = _member(fr)
    key = write_key(admin, "web")
    tracker = TestClient(admin.app)
    # Given a member who browsed the web shop (two views, then signed in) and bought there,
    for body in (
        {"anonymousId": "v-1", "event": "Product Viewed", "properties": {"sku": "CAP"}},
        {"anonymousId": "v-1", "event": "Product Viewed", "properties": {"sku": "TEE-M"}},
        {"anonymousId": "v-1", "userId": customer},
    ):
        path = "/v1/identify" if "userId" in body else "/v1/track"
        assert send(tracker, path, body, key=key).status_code == 200
    web_order = _web_order(fr, token, ("TEE-M", 1))
    # a visitor who looked and left, a cart left behind,
    browse = {"anonymousId": "v-2", "event": "Product Viewed", "properties": {"sku": "MUG"}}
    assert send(tracker, "/v1/track", browse, key=key).status_code == 200
    left = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(left["id"], "web", "CAP", 1).status_code in (200, 201)
    # a guest who collects in Lyon, the member buying the cap they viewed in the Paris store
    # (then returning it), and a cash sale to nobody in particular,
    pickup = _guest_pickup(fr)
    store_sale = _till_sale(fr, "till-1", ("CAP", 1), paid=1500)
    returned = admin.post(
        f"/v1/orders/{store_sale}/returns",
        json={
            "lines": [{"sku": "CAP", "quantity": 1, "reason": "too small"}],
            "method": "in_store",
            "location": "store-paris",
        },
    )
    assert returned.status_code == 201, returned.text
    _anonymous_till_sale(fr)

    # when the store is refreshed and today's board is read,
    day = admin.post("/v1/analytics/refresh").json()["refreshed_at"][:10]
    response = admin.get("/v1/analytics/kpis", params={"from": day, "to": day})
    assert response.status_code == 200, response.text
    board = response.json()

    # then each figure is what the calls did.
    assert board["from"] == day and board["to"] == day
    (eur,) = board["sales"]
    orders = [admin.get(f"/v1/orders/{o}").json() for o in (web_order, pickup["id"], store_sale)]
    assert eur["orders"] == 4
    assert eur["revenue"]["amount"] == sum(o["totals"]["total"]["amount"] for o in orders) + 2500
    assert eur["units"] == 4
    assert board["conversion"] == {"count": 1, "of": 2, "rate": 0.5}
    # Three web carts: two checked out, one left.
    assert board["cart_abandonment"] == {"count": 1, "of": 3, "rate": round(1 / 3, 6)}
    assert board["click_and_collect_share"] == {"count": 1, "of": 2, "rate": 0.5}
    shipped = [fo for fo in orders[0]["fulfillment_orders"] if fo["type"] == "ship"]
    from_store = sum(PLACES[fo["location"]][0] == "store" for fo in shipped)
    assert board["ship_from_store_share"]["count"] == from_store
    assert board["ship_from_store_share"]["of"] == len(shipped)
    rates = board["return_rate"]
    assert rates["overall"] == {"count": 1, "of": 4, "rate": 0.25}
    assert rates["channels"]["pos-paris"] == {"count": 1, "of": 2, "rate": 0.5}
    assert rates["channels"]["web"] == {"count": 0, "of": 2, "rate": 0.0}
    assert rates["reasons"] == {"too small": {"count": 1, "of": 1, "rate": 1.0}}
    assert board["ropo_share"] == {"count": 1, "of": 2, "rate": 0.5}
    assert board["customers"] == {"new": 2, "returning": 0, "anonymous_orders": 1}
    assert board["cohorts"] == [{"cohort": day[:7], "customers": 2, "retained": []}]
    inventory = board["inventory"]
    assert inventory["units_sold"] == 4
    assert inventory["on_hand_start"] == 0
    on_hand = sum(
        loc["on_hand"]
        for sku in ("TEE-M", "CAP", "MUG")
        for loc in admin.get(f"/v1/inventory/{sku}").json()["locations"]
    )
    assert inventory["on_hand_end"] == on_hand
    assert inventory["turnover"] == round(4 / (on_hand / 2), 4)

    csv = admin.get(
        "/v1/analytics/kpis", params={"from": day, "to": day}, headers={"Accept": "text/csv"}
    )
    lines = csv.text.splitlines()
    assert lines[0] == "metric,value"
    assert "conversion.rate,0.5" in lines
    assert "sales.EUR.orders,4" in lines
    assert ADDRESS_PARIS["country"] == "FR"
