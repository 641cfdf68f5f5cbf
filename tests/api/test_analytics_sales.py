"""Sales dashboards over HTTP, fed from orders placed through the real checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.settings import Settings
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    # A store of its own per test: PostgreSQL tests share one database name.
    return settings.model_copy(update={"analytics_path": str(tmp_path / "analytics.duckdb")})


def _order(shop: Shop, channel: str, sku: str, quantity: int, **patch: object) -> dict:
    cart = shop.cart(channel, currency="JPY")
    assert shop.add(cart["id"], channel, sku, quantity).status_code in (200, 201)
    body = {"email": "a@example.com", "shipping_address": ADDRESS_JP, **patch}
    response = shop.call("PATCH", f"/v1/carts/{cart['id']}", channel, json=body)
    assert response.status_code == 200, response.text
    placed = shop.checkout(cart["id"], channel)
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def _refresh(admin: TestClient) -> dict:
    response = admin.post("/v1/analytics/refresh")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_sales_by_day_and_channel_match_the_orders(
    backend: str, admin: TestClient, db: Database
) -> None:
    shop = tokyo_shop(admin, db)
    web1 = _order(shop, "web", "SNK-42", 1)
    web2 = _order(shop, "web", "SNK-43", 2)
    app = _order(shop, "app", "SNK-42", 1)
    refreshed = _refresh(admin)
    assert refreshed["rows"]["orders"] == 3
    assert refreshed["rows"]["order_lines"] == 3

    today = web1["created_at"][:10] if "created_at" in web1 else refreshed["refreshed_at"][:10]
    response = admin.get(
        "/v1/analytics/sales", params={"from": today, "to": today, "by": "day,channel"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["by"] == ["day", "channel"]
    rows = {r["channel"]: r for r in body["rows"]}
    assert set(rows) == {"web", "app"}
    web_total = web1["totals"]["total"]["amount"] + web2["totals"]["total"]["amount"]
    assert rows["web"]["orders"] == 2
    assert rows["web"]["units"] == 3
    assert rows["web"]["revenue"] == {"amount": web_total, "currency": "JPY"}
    assert rows["web"]["aov"] == {"amount": (web_total + 1) // 2, "currency": "JPY"}
    assert rows["app"]["revenue"]["amount"] == app["totals"]["total"]["amount"]
    assert rows["web"]["period"] == today
    assert rows["web"]["refunded"] == {"amount": 0, "currency": "JPY"}


def test_sales_by_category_and_store_and_csv(backend: str, admin: TestClient, db: Database) -> None:
    shop = tokyo_shop(admin, db)
    pickup = {"fulfillment": {"type": "pickup", "location": "store-ginza"}}
    _order(shop, "web", "SNK-42", 1, **pickup)
    delivered = _order(shop, "web", "SNK-43", 1)
    day = _refresh(admin)["refreshed_at"][:10]

    by_store = admin.get("/v1/analytics/sales", params={"from": day, "to": day, "by": "store"})
    stores = {r["store"]: r["orders"] for r in by_store.json()["rows"]}
    assert stores == {"store-ginza": 1, None: 1}

    by_category = admin.get(
        "/v1/analytics/sales", params={"from": day, "to": day, "by": "category"}
    ).json()["rows"]
    assert [(r["category"], r["orders"], r["units"]) for r in by_category] == [("shoes", 2, 2)]
    assert by_category[0]["refunded"] is None

    csv = admin.get(
        "/v1/analytics/sales",
        params={"from": day, "to": day, "by": "day,country"},
        headers={"Accept": "text/csv"},
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "period,country,currency,orders,revenue,aov,units,refunded"
    assert len(lines) == 2
    assert lines[1].startswith(f"{day},JP,JPY,2,")
    assert delivered["currency"] == "JPY"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "query.to", "before it starts"),
        ({"from": "2026-03-01", "to": "2026-03-02", "by": "day,planet"}, "query.by", "planet"),
        ({"from": "2026-03-01", "to": "2026-03-02", "by": "day,week"}, "query.by", "at most one"),
        ({"from": "2026-03-01", "to": "2026-03-02", "by": "channel,channel"}, "query.by", "twice"),
        ({"from": "2020-01-01", "to": "2026-03-02"}, "query.to", "longer than"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "query.from", "outside the years"),
    ],
)
def test_bad_periods_and_groupings_are_clear_422s(
    admin: TestClient, params: dict[str, str], field: str, words: str
) -> None:
    response = admin.get("/v1/analytics/sales", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert words in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]


def test_kpis_reject_a_period_that_ends_before_it_starts(admin: TestClient) -> None:
    response = admin.get("/v1/analytics/kpis", params={"from": "2026-03-02", "to": "2026-03-01"})
    assert response.status_code == 422
    assert "before it starts" in response.json()["detail"]


def test_dates_that_are_not_dates_are_422(admin: TestClient) -> None:
    response = admin.get("/v1/analytics/sales", params={"from": "yesterday", "to": "2026-03-01"})
    assert response.status_code == 422
    assert response.json()["errors"]


def test_dashboards_are_for_admins(client: TestClient) -> None:
    response = client.get("/v1/analytics/sales", params={"from": "2026-03-01", "to": "2026-03-01"})
    assert response.status_code == 401
