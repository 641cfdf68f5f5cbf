"""Marketplace and social feeds: every required attribute, the channel's prices and ATP less
its buffer, who may fetch them, and marketplace orders coming back in once."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY
from tests.feed_factories import GOOD_EAN, marketplace

G = "{http://base.google.com/ns/1.0}"
# Google Merchant Center: required for every product (gtin where the product has one).
GOOGLE_REQUIRED = [
    "id", "title", "description", "link", "image_link", "price", "availability", "condition",
    "brand",
]  # fmt: skip
GOOGLE_AVAILABILITY = {"in_stock", "out_of_stock", "preorder", "backorder"}
META_REQUIRED = [
    "id", "title", "description", "availability", "condition", "price", "link", "image_link",
    "brand",
]  # fmt: skip
META_AVAILABILITY = {"in stock", "out of stock", "available for order"}


@pytest.fixture
def keys(admin: TestClient) -> dict[str, str]:
    return marketplace(admin)


@pytest.fixture
def robot(admin: TestClient) -> TestClient:
    """A marketplace's fetcher: no credentials but what it puts in the URL."""
    return TestClient(admin.app)


def _price(text: str) -> tuple[Decimal, str]:
    amount, currency = text.split(" ")
    return Decimal(amount), currency


def _google(client: TestClient, key: str) -> ET.Element:
    response = client.get("/v1/feeds/market/google.xml", params={"key": key})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


def test_google_feed_has_every_required_attribute(robot: TestClient, keys: dict[str, str]) -> None:
    root = _google(robot, keys["market"])
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), name
    items = {i.findtext(f"{G}id"): i for i in channel.findall("item")}
    assert sorted(items) == ["CB-1", "LS-M", "LS-S"]
    for sku, item in items.items():
        for name in GOOGLE_REQUIRED:
            assert (item.findtext(f"{G}{name}") or "").strip(), (sku, name)
        assert item.findtext(f"{G}availability") in GOOGLE_AVAILABILITY
        assert item.findtext(f"{G}link", "").startswith("http://testserver/shop/")
        assert item.findtext(f"{G}image_link", "").startswith("http://")
        amount, currency = _price(item.findtext(f"{G}price", ""))
        assert currency == "EUR" and amount > 0
    shirt = items["LS-S"]
    # the channel's own price, its ATP less the buffer of one, the brand from the product
    assert shirt.findtext(f"{G}price") == "24.99 EUR"
    assert shirt.findtext(f"{G}availability") == "in_stock"
    assert shirt.findtext(f"{G}brand") == "Atelier Nord"
    assert shirt.findtext(f"{G}gtin") == GOOD_EAN
    assert shirt.findtext(f"{G}item_group_id") == "linen-shirt"
    assert shirt.findtext(f"{G}title") == "Linen shirt (S)"
    # a wrong check digit is left out rather than sent: Google disapproves a wrong GTIN
    medium = items["LS-M"]
    assert medium.find(f"{G}gtin") is None
    assert medium.findtext(f"{G}identifier_exists") == "no"
    assert medium.findtext(f"{G}availability") == "out_of_stock"
    assert medium.findtext(f"{G}price") == "19.99 EUR"
    book = items["CB-1"]
    assert book.findtext(f"{G}title") == "Cookbook <& friends>"  # escaped, parsed back
    assert book.findtext(f"{G}description") == "Cookbook <& friends>"
    assert book.findtext(f"{G}brand") == "Souk"


def test_meta_csv_has_every_required_column_and_the_atp_less_buffer(
    robot: TestClient, keys: dict[str, str]
) -> None:
    response = robot.get("/v1/feeds/market/meta.csv", params={"key": keys["market"]})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert sorted(rows) == ["CB-1", "LS-M", "LS-S"]
    for sku, row in rows.items():
        for name in META_REQUIRED:
            assert row[name].strip(), (sku, name)
        assert row["availability"] in META_AVAILABILITY
        assert row["condition"] == "new"
    assert rows["LS-S"]["price"] == "24.99 EUR"
    assert rows["LS-S"]["quantity_to_sell_on_facebook"] == "4"  # 5 on hand, buffer 1
    assert rows["CB-1"]["quantity_to_sell_on_facebook"] == "2"
    assert rows["LS-M"]["availability"] == "out of stock"
    assert rows["LS-M"]["gtin"] == ""


def test_inventory_out_and_orders_in_are_both_idempotent(
    robot: TestClient, admin: TestClient, keys: dict[str, str]
) -> None:
    def stock() -> dict[str, int]:
        response = robot.get("/v1/feeds/market/inventory.json", params={"key": keys["market"]})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["channel"] == "market"
        return {i["sku"]: i["available"] for i in body["items"]}

    before = stock()
    assert before == {"LS-S": 4, "LS-M": 0, "CB-1": 2}
    assert stock() == before  # reading changes nothing
    order = {
        "channel": "market",
        "external_id": "MKT-77",
        "currency": "EUR",
        "lines": [{"sku": "LS-S", "quantity": 2, "unit_price": 2499, "tax": 417}],
        "shipping_address": {
            "line1": "3 rue Oberkampf", "city": "Paris", "postal_code": "75011", "country": "FR",
        },
    }  # fmt: skip
    first = admin.post("/v1/orders/import", json=order)
    assert first.status_code == 201, first.text
    again = admin.post("/v1/orders/import", json=order)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert stock() == {**before, "LS-S": 2}
    listed = admin.get("/v1/orders", params={"channel": "market"}).json()["data"]
    assert [o["external_id"] for o in listed] == ["MKT-77"]


def test_feeds_take_the_admin_key_or_this_channels_publishable_key_only(
    robot: TestClient, keys: dict[str, str]
) -> None:
    url = "/v1/feeds/market/google.xml"
    admin = robot.get(url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert admin.status_code == 200
    refused = {
        "nothing": robot.get(url),
        "unknown": robot.get(url, params={"key": "pk_nope"}),
        "other channel": robot.get(url, params={"key": keys["other"]}),
        "admin in url": robot.get(url, params={"key": ADMIN_KEY}),
        "pk as bearer": robot.get(url, headers={"Authorization": f"Bearer {keys['market']}"}),
    }
    statuses = {name: r.status_code for name, r in refused.items()}
    assert statuses == {
        "nothing": 401,
        "unknown": 401,
        "other channel": 403,
        "admin in url": 403,
        "pk as bearer": 403,
    }
    for answer in refused.values():
        assert answer.headers["content-type"] == "application/problem+json"
    assert "publishable key of other" in refused["other channel"].json()["detail"]
    unknown = robot.get(
        "/v1/feeds/nowhere/meta.csv", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert unknown.status_code == 404
    bad = robot.get(
        "/v1/feeds/NOT A CODE/meta.csv", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert bad.status_code == 422
