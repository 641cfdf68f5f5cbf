"""The storefront catalog: what a shopper in one channel sees, localized and priced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.catalog.storefront_schemas import CatalogPage, CatalogProduct
from souk.db.base import utcnow
from tests.catalog_factories import (
    list_product,
    make_channel,
    make_location,
    make_product,
    set_prices,
)
from tests.conftest import ADMIN_KEY


def _key(admin: TestClient, channel: str) -> dict[str, str]:
    response = admin.post(
        "/v1/api-keys", json={"name": f"{channel} shop", "role": "storefront", "channel": channel}
    )
    assert response.status_code == 201, response.text
    return {"X-Publishable-Key": response.json()["key"]}


@pytest.fixture
def shop(admin: TestClient) -> dict[str, str]:
    """A French web shop (EUR/JPY, tax included, 20% VAT, 5.5% on books) with three
    products, and the shop's publishable key; the admin key is kept off the client."""
    make_location(admin, "wh-1")
    make_location(admin, "wh-2")
    make_channel(
        admin, "web", currencies=["EUR", "JPY"], locales=["en", "fr", "ja"], ship_from=["wh-1"]
    )
    make_channel(
        admin,
        "us",
        default_currency="USD",
        currencies=["USD"],
        country="US",
        prices_include_tax=False,
    )
    admin.post("/v1/categories", json={"code": "apparel"})
    admin.post("/v1/categories", json={"code": "shirts", "parent": "apparel"})
    admin.post("/v1/tax-rates", json={"country": "FR", "rate": "0.20"})
    admin.post("/v1/tax-rates", json={"country": "FR", "category": "books", "rate": "0.055"})
    admin.post("/v1/tax-rates", json={"country": "US", "rate": "0.08875"})
    make_product(admin, "linen-shirt", ("LS-S", "LS-M"), category="shirts")
    make_product(
        admin,
        "cookbook",
        ("CB-1",),
        category="books",
        title={"en": "Cookbook", "ja": "料理本"},
        description=None,
    )
    make_product(admin, "hidden", ("HI-1",))
    set_prices(
        admin,
        [
            {"sku": "LS-S", "currency": "EUR", "amount": 1999},
            {"sku": "LS-M", "currency": "EUR", "amount": 1999},
            {"sku": "LS-M", "currency": "EUR", "amount": 2199, "channel": "web"},
            {"sku": "LS-S", "currency": "JPY", "amount": 2980},
            {"sku": "LS-S", "currency": "USD", "amount": 2000},
            {"sku": "CB-1", "currency": "EUR", "amount": 2500},
            {"sku": "HI-1", "currency": "EUR", "amount": 100},
        ],
    )
    for handle in ("linen-shirt", "cookbook"):
        list_product(admin, handle, "web")
    list_product(admin, "linen-shirt", "us")
    admin.put("/v1/products/hidden/listings/web", json={"published": False})
    for sku, location, quantity in (("LS-S", "wh-1", 5), ("LS-M", "wh-2", 7)):
        movement = {"sku": sku, "location": location, "type": "receipt", "quantity": quantity}
        assert admin.post("/v1/inventory/movements", json=movement).status_code == 201
    key = _key(admin, "web")
    admin.headers.pop("Authorization")
    return key


def _browse(client: TestClient, key: dict[str, str], **params: Any) -> Any:
    response = client.get("/v1/catalog/products", params=params, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def test_page_shows_open_priced_products_localized_with_tax(
    client: TestClient, shop: dict[str, str]
) -> None:
    page = _browse(client, shop, locale="fr-CA")
    assert (page["channel"], page["locale"], page["currency"], page["prices_include_tax"]) == (
        "web",
        "fr-CA",
        "EUR",
        True,
    )
    assert [p["handle"] for p in page["data"]] == ["linen-shirt", "cookbook"]
    shirt, book = page["data"]
    assert shirt["title"] == "Chemise en lin"  # fr-CA → fr
    assert shirt["description"] == "Lin respirant."
    assert book["title"] == "Cookbook"  # no French: the channel's default, en
    assert shirt["listing"] == {
        "available_from": None,
        "available_until": None,
        "hold_stock": "checkout",
        "hold_minutes": None,
    }
    small, medium = shirt["variants"]
    assert small == {
        "sku": "LS-S",
        "options": {"size": "S"},
        "barcode": None,
        "weight_g": 250,
        "price": {"amount": 1999, "currency": "EUR"},
        "price_excluding_tax": {"amount": 1666, "currency": "EUR"},
        "price_including_tax": {"amount": 1999, "currency": "EUR"},
        "tax": {"rate": "0.20", "amount": 333, "included": True},
        "formatted_price": "19,99\xa0€",
        "available": 5,
        "allow_backorder": False,
    }
    # the channel override wins over the base price
    assert medium["price"] == {"amount": 2199, "currency": "EUR"}
    # books carry the reduced rate
    assert book["variants"][0]["tax"] == {"rate": "0.055", "amount": 130, "included": True}
    # stock counts only at the channel's ship-from warehouse; out of stock is still shown
    assert medium["available"] == 0
    assert (shirt["available"], book["available"]) == (5, 0)


def test_other_currency_shows_only_what_is_priced_in_it(
    client: TestClient, shop: dict[str, str]
) -> None:
    page = _browse(client, shop, currency="JPY", locale="ja")
    assert [p["handle"] for p in page["data"]] == ["linen-shirt"]
    shirt = page["data"][0]
    assert shirt["title"] == "リネンシャツ"
    assert [(v["sku"], v["price"]["amount"], v["formatted_price"]) for v in shirt["variants"]] == [
        ("LS-S", 2980, "￥2,980")
    ]


def test_tax_exclusive_channel_adds_tax_on_top(
    client: TestClient, admin: TestClient, shop: dict[str, str]
) -> None:
    us = _key_as_admin(admin, "us")
    variant = _browse(client, us)["data"][0]["variants"][0]
    assert variant["price"] == {"amount": 2000, "currency": "USD"}
    assert variant["tax"] == {"rate": "0.08875", "amount": 178, "included": False}
    assert variant["price_including_tax"] == {"amount": 2178, "currency": "USD"}
    assert variant["formatted_price"] == "$20.00"


def _key_as_admin(admin: TestClient, channel: str) -> dict[str, str]:
    return _key_with(admin, {"Authorization": f"Bearer {ADMIN_KEY}"}, channel)


def _key_with(client: TestClient, headers: dict[str, str], channel: str) -> dict[str, str]:
    response = client.post(
        "/v1/api-keys",
        json={"name": "k", "role": "storefront", "channel": channel},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return {"X-Publishable-Key": response.json()["key"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"currency": "USD"}, "query.currency"),
        ({"currency": "ZZZ"}, "query.currency"),
        ({"locale": "xx-YY"}, "query.locale"),
        ({"locale": "de"}, "query.locale"),
        ({"cursor": "garbage"}, "query.cursor"),
        ({"limit": 0}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
    ],
)
def test_bad_query_is_a_422_naming_the_field(
    client: TestClient, shop: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = client.get("/v1/catalog/products", params=params, headers=shop)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    one = client.get("/v1/catalog/products/linen-shirt", params=params, headers=shop)
    assert one.status_code == 422 or "cursor" in params or "limit" in params


def test_timed_drop_is_visible_only_inside_its_window(
    client: TestClient, admin: TestClient, shop: dict[str, str]
) -> None:
    now = utcnow()
    url = "/v1/products/cookbook/listings/web"
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}

    def listed_with(**window: str) -> list[str]:
        assert (
            admin.put(url, json={"published": True, **window}, headers=headers).status_code == 200
        )
        return [p["handle"] for p in _browse(client, shop)["data"]]

    soon = (now + timedelta(hours=1)).isoformat()
    later = (now + timedelta(hours=25)).isoformat()
    past = (now - timedelta(hours=25)).isoformat()
    recently = (now - timedelta(hours=1)).isoformat()
    assert listed_with(available_from=soon, available_until=later) == ["linen-shirt"]
    assert listed_with(available_from=past, available_until=recently) == ["linen-shirt"]
    assert listed_with(available_from=recently, available_until=soon) == ["linen-shirt", "cookbook"]
    assert client.get("/v1/catalog/products/cookbook", headers=shop).status_code == 200


def test_single_product_and_what_is_not_on_sale(client: TestClient, shop: dict[str, str]) -> None:
    one = client.get("/v1/catalog/products/linen-shirt", params={"locale": "en"}, headers=shop)
    assert one.status_code == 200
    assert one.json()["title"] == "Linen shirt"
    assert one.json() == _browse(client, shop, locale="en")["data"][0]
    for handle in ("hidden", "nope"):
        response = client.get(f"/v1/catalog/products/{handle}", headers=shop)
        assert response.status_code == 404
        assert response.json()["type"] == "https://souk.dev/problems/not-found"


def test_pages_search_and_categories(client: TestClient, shop: dict[str, str]) -> None:
    first = _browse(client, shop, limit=1)
    assert [p["handle"] for p in first["data"]] == ["linen-shirt"]
    second = _browse(client, shop, limit=1, cursor=first["next_cursor"])
    assert ([p["handle"] for p in second["data"]], second["next_cursor"]) == (["cookbook"], None)
    assert [p["handle"] for p in _browse(client, shop, q="CHEMISE")["data"]] == ["linen-shirt"]
    assert [p["handle"] for p in _browse(client, shop, q="料理")["data"]] == ["cookbook"]
    assert _browse(client, shop, q="100%_")["data"] == []
    # a parent category includes its subcategories
    assert [p["handle"] for p in _browse(client, shop, category="apparel")["data"]] == [
        "linen-shirt"
    ]
    assert _browse(client, shop, category="nothing")["data"] == []


def test_storefront_needs_a_storefront_key(client: TestClient, shop: dict[str, str]) -> None:
    assert client.get("/v1/catalog/products").status_code == 401
    bad = client.get("/v1/catalog/products", headers={"X-Publishable-Key": "pk_nope"})
    assert bad.status_code == 401
    # an admin key is not a publishable key, in either header
    admin_as_shop = client.get("/v1/catalog/products", headers={"X-Publishable-Key": ADMIN_KEY})
    assert admin_as_shop.status_code == 403
    bearer = client.get("/v1/catalog/products", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert bearer.status_code == 401
    # and the publishable key opens no admin endpoint
    assert client.get("/v1/products", headers=shop).status_code == 401
    as_bearer = {"Authorization": f"Bearer {shop['X-Publishable-Key']}"}
    assert client.get("/v1/products", headers=as_bearer).status_code == 403


def test_responses_match_the_documented_schema(
    client: TestClient, admin: TestClient, shop: dict[str, str]
) -> None:
    # the storefront serialises plain data for speed: it must still be what OpenAPI says
    window = {"available_from": "2020-01-01T00:00:00Z", "available_until": "2100-01-01T00:00:00Z"}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    listing = {"published": True, "hold_stock": "cart", "hold_minutes": 5, **window}
    admin.put("/v1/products/cookbook/listings/web", json=listing, headers=headers)
    page = _browse(client, shop)
    assert CatalogPage.model_validate(page).model_dump(mode="json") == page
    one = client.get("/v1/catalog/products/cookbook", headers=shop).json()
    assert CatalogProduct.model_validate(one).model_dump(mode="json") == one
    assert one["listing"] == {**window, "hold_stock": "cart", "hold_minutes": 5}
