"""Hostile input shapes: deep nesting, huge free-form JSON, absurd timestamps. Each gets a
clear 4xx problem before anything is written, on every route, with and without auth."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from souk.api.middleware import MAX_JSON_DEPTH, json_depth
from souk.db.engine import Database
from souk.orders.tables import OrderRow
from tests.catalog_factories import make_channel, product_body
from tests.conftest import ADMIN_KEY
from tests.fulfilment_factories import FrenchShop, french_shop


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


def _problem_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_deeply_nested_attributes_are_refused_before_anything_is_written(
    admin: TestClient,
) -> None:
    # given a product whose attributes nest 300 levels deep
    body = product_body("deep", ("DEEP-1",), attributes=_nested(300))
    # when it is created
    response = admin.post("/v1/products", json=body)
    # then it is a 422 (the whole body is too deep to be read), and no product exists
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _problem_fields(response) == {"body"}
    assert admin.get("/v1/products/deep").status_code == 404
    listed = admin.get("/v1/products")
    assert listed.status_code == 200
    assert listed.json()["data"] == []


def test_attributes_nested_to_the_limit_are_kept_and_read_back(admin: TestClient) -> None:
    body = product_body("deep", ("DEEP-1",), attributes=_nested(32))
    created = admin.post("/v1/products", json=body)
    assert created.status_code == 201, created.text
    assert admin.get("/v1/products/deep").json()["attributes"] == _nested(32)
    assert admin.get("/v1/products").status_code == 200


@pytest.mark.parametrize("depth", [33, 60])
def test_attributes_too_deep_are_refused_naming_the_field(admin: TestClient, depth: int) -> None:
    body = product_body("deep", ("DEEP-1",), attributes=_nested(depth))
    response = admin.post("/v1/products", json=body)
    assert response.status_code == 422
    assert _problem_fields(response) == {"body.attributes"}
    assert "32" in response.json()["errors"][0]["message"]
    assert admin.get("/v1/products/deep").status_code == 404


def test_huge_attributes_are_refused(admin: TestClient) -> None:
    # many keys within the count limit, each holding a long list: too big in total
    attributes = {f"k{i}": ["x" * 1000] * 2 for i in range(50)}
    body = product_body("big", ("BIG-1",), attributes=attributes)
    response = admin.post("/v1/products", json=body)
    assert response.status_code == 422, response.status_code
    assert "body.attributes" in _problem_fields(response)
    assert admin.get("/v1/products/big").status_code == 404


def test_patch_with_deep_attributes_changes_nothing(admin: TestClient) -> None:
    assert admin.post("/v1/products", json=product_body("p", ("P-1",))).status_code == 201
    response = admin.patch("/v1/products/p", json={"attributes": _nested(300)})
    assert response.status_code == 422
    assert admin.get("/v1/products/p").json()["attributes"] == {"material": "linen"}


BRACKETS = b"[" * 10_000 + b"]" * 10_000
OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


@pytest.mark.parametrize("raw", [BRACKETS, OBJECTS], ids=["arrays", "objects"])
@pytest.mark.parametrize("with_key", [False, True], ids=["plain", "idempotency-key"])
@pytest.mark.parametrize("auth", [False, True], ids=["anonymous", "admin"])
def test_a_10000_deep_body_is_a_422_on_every_route(
    client: TestClient, raw: bytes, with_key: bool, auth: bool
) -> None:
    headers = {"content-type": "application/json"}
    if with_key:
        headers["Idempotency-Key"] = "deep-1"
    if auth:
        headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    for path in ("/v1/products", "/v1/carts", "/v1/pos/sales", "/v1/customers/login"):
        response = client.post(path, content=raw, headers=headers)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "body"


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=3), children, max_size=3)
    ),
    max_leaves=80,
)


@given(value=json_values)
def test_json_depth_scan_agrees_with_the_parsed_value(value: Any) -> None:
    # brackets and escaped quotes inside strings never count
    text = json.dumps(value).encode()
    parsed = _depth(value)
    measured = json_depth(text)
    if text.count(b"[") + text.count(b"{") > MAX_JSON_DEPTH:
        assert measured == min(parsed, MAX_JSON_DEPTH + 1)
    else:
        assert measured == 0 and parsed <= MAX_JSON_DEPTH


@given(value=json_values, levels=st.integers(min_value=65, max_value=90), key=st.booleans())
def test_json_depth_scan_measures_deep_values_exactly(value: Any, levels: int, key: bool) -> None:
    for _ in range(levels):
        value = {'"[{': value} if key else [value, "]}"]
    assert json_depth(json.dumps(value).encode()) == min(_depth(value), MAX_JSON_DEPTH + 1)


# Timestamps (souk.timestamps): every client timestamp in [2000, 2100); a till sale recent.


def _shop(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _sale(occurred_at: str, txn: str = "t-1") -> dict[str, Any]:
    return {
        "client_txn_id": txn,
        "occurred_at": occurred_at,
        "lines": [{"sku": "TEE-M", "quantity": 1}],
        "payments": [{"method": "card", "amount": 2500}],
    }


def _orders(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1999-12-31T23:00:00Z",
        "now-31d",  # relative moments are taken when the test runs, not when it is collected
        "now+10m",
    ],
    ids=["year-1", "year-9999", "last-century", "31-days-ago", "10-minutes-ahead"],
)
def test_a_till_sale_at_an_absurd_time_is_a_422_and_records_nothing(
    admin: TestClient, db: Database, occurred_at: str
) -> None:
    relative = {"now-31d": timedelta(days=-31), "now+10m": timedelta(minutes=10)}
    if occurred_at in relative:
        occurred_at = (datetime.now(UTC) + relative[occurred_at]).isoformat()
    shop = _shop(admin, db)
    till = TestClient(
        admin.app, headers={"Authorization": f"Bearer {shop.pos_keys['store-paris']}"}
    )
    response = till.post("/v1/pos/sales", json=_sale(occurred_at))
    assert response.status_code == 422, response.text
    assert _problem_fields(response) == {"body.occurred_at"}
    synced = till.post("/v1/pos/sync", json={"transactions": [_sale(occurred_at, "t-2")]})
    assert synced.status_code == 200, synced.text
    result = synced.json()["results"][0]
    assert result["status"] == 422
    assert _orders(db) == 0


def test_a_till_sale_from_yesterday_and_one_a_minute_ahead_are_recorded(
    admin: TestClient, db: Database
) -> None:
    shop = _shop(admin, db)
    till = TestClient(
        admin.app, headers={"Authorization": f"Bearer {shop.pos_keys['store-paris']}"}
    )
    for txn, moment in [
        ("t-1", datetime.now(UTC) - timedelta(days=29)),
        ("t-2", datetime.now(UTC) + timedelta(minutes=1)),
    ]:
        response = till.post("/v1/pos/sales", json=_sale(moment.isoformat(), txn))
        assert response.status_code == 201, response.text
    assert _orders(db) == 2


@pytest.mark.parametrize(
    "window",
    [
        {"available_from": "0001-01-01T00:00:00+14:00"},
        {"available_until": "9999-12-31T23:59:59-14:00"},
        {"available_from": "1970-01-01T00:00:00Z"},
    ],
)
def test_a_listing_window_outside_2000_to_2100_is_a_422(
    admin: TestClient, window: dict[str, str]
) -> None:
    make_channel(admin, "web")
    assert admin.post("/v1/products", json=product_body("p", ("P-1",))).status_code == 201
    response = admin.put("/v1/products/p/listings/web", json={"published": True, **window})
    assert response.status_code == 422, response.text
    assert _problem_fields(response) == {f"body.{next(iter(window))}"}
    assert admin.get("/v1/products/p").json()["listings"] == []


def test_an_imported_order_placed_in_year_1_is_a_422(admin: TestClient) -> None:
    response = admin.post("/v1/orders/import", json={"placed_at": "0001-01-01T00:00:00+14:00"})
    assert response.status_code == 422
    assert "body.placed_at" in _problem_fields(response)
