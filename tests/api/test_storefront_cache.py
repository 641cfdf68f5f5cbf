"""Storefront pages from the short-lived cache: ETag and 304, changes that show at once,
stock that may lag a listing page by the cache's lifetime but never a cart or a checkout."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.storefront.cache import PageCache
from tests.checkout_factories import Shop, tokyo_shop
from tests.support.clock import ManualClock
from tests.support.statements import counting

PAGE = "/v1/catalog/products?locale=en"


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    return tokyo_shop(admin, db)


@pytest.fixture
def clock(shop: Shop) -> ManualClock:
    """The app's page cache on a clock the test moves (no sleeping)."""
    clock = ManualClock()
    cache: PageCache = shop.admin.app.state.storefront_cache  # type: ignore[attr-defined]
    cache.clock = clock
    cache.invalidate()
    return clock


def _engine(shop: Shop) -> Any:
    return shop.admin.app.state.db.engine  # type: ignore[attr-defined]


def _variants(page: dict[str, Any]) -> dict[str, tuple[int, int]]:
    shown = [v for p in page["data"] for v in p["variants"]]
    return {v["sku"]: (v["price"]["amount"], v["available"]) for v in shown}


def test_a_repeated_page_comes_from_memory_and_revalidates_to_304(
    shop: Shop, clock: ManualClock
) -> None:
    first = shop.call("GET", PAGE, "web")
    assert first.status_code == 200
    assert _variants(first.json()) == {"SNK-42": (12000, 10), "SNK-43": (12000, 10)}
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["vary"] == "X-Publishable-Key"
    with counting(_engine(shop)) as count:
        again = shop.call("GET", PAGE, "web")
        revalidated = shop.call("GET", PAGE, "web", **{"If-None-Match": f'W/{etag}, "other"'})
    assert (again.status_code, again.content, again.headers["etag"]) == (200, first.content, etag)
    assert (revalidated.status_code, revalidated.content) == (304, b"")
    assert revalidated.headers["etag"] == etag
    assert len(count) == 0, count.report()
    # A stale tag gets the page
    assert shop.call("GET", PAGE, "web", **{"If-None-Match": '"old"'}).status_code == 200


def test_each_locale_currency_and_channel_has_its_own_page(shop: Shop, clock: ManualClock) -> None:
    english = shop.call("GET", PAGE, "web")
    japanese = shop.call("GET", "/v1/catalog/products?locale=ja", "web")
    dollars = shop.call("GET", "/v1/catalog/products?locale=en&currency=USD", "web")
    app = shop.call("GET", PAGE, "app")
    assert english.json()["data"][0]["title"] == "Sneaker"
    assert japanese.json()["data"][0]["title"] == "スニーカー"
    assert _variants(dollars.json())["SNK-42"] == (8900, 10)
    assert app.json()["channel"] == "app"
    tags = {r.headers["etag"] for r in (english, japanese, dollars, app)}
    assert len(tags) == 4


def test_a_price_or_listing_change_shows_on_the_next_page(shop: Shop, clock: ManualClock) -> None:
    shop.call("GET", PAGE, "web")
    shop.call("GET", "/v1/catalog/products/sneaker", "web")
    # When the operator changes a price (no time passes)
    shop.price("SNK-42", "JPY", 9900)
    # Then the next page and product page show it
    page = shop.call("GET", PAGE, "web").json()
    one = shop.call("GET", "/v1/catalog/products/sneaker", "web").json()
    assert _variants(page)["SNK-42"] == (9900, 10)
    assert [v["price"]["amount"] for v in one["variants"]] == [9900, 12000]
    # And unlisting the product empties the page at once
    shop.admin.put("/v1/products/sneaker/listings/web", json={"published": False})
    assert shop.call("GET", PAGE, "web").json()["data"] == []
    assert shop.call("GET", "/v1/catalog/products/sneaker", "web").status_code == 404


def test_stock_lags_the_listing_page_by_the_cache_lifetime_but_never_the_cart(
    shop: Shop, clock: ManualClock
) -> None:
    assert _variants(shop.call("GET", PAGE, "web").json())["SNK-43"] == (12000, 10)
    # When the last units of SNK-43 are written off
    movement = {"sku": "SNK-43", "location": "wh-tokyo", "type": "count", "quantity": 0}
    assert shop.admin.post("/v1/inventory/movements", json=movement).status_code == 201
    # Then the listing page may still say 10 within the cache's lifetime
    assert _variants(shop.call("GET", PAGE, "web").json())["SNK-43"] == (12000, 10)
    # but a cart says at once that there is none
    cart = shop.cart("web")
    added = shop.add(cart["id"], "web", "SNK-43").json()
    assert (added["lines"][0]["available"], added["lines"][0]["issues"]) == (
        0,
        ["insufficient-stock"],
    )
    # And once the lifetime has passed, so does the page
    clock.now += 2.01
    assert _variants(shop.call("GET", PAGE, "web").json())["SNK-43"] == (12000, 0)


def test_bad_input_is_a_problem_and_is_not_cached(shop: Shop, clock: ManualClock) -> None:
    for _ in range(2):
        bad = shop.call("GET", "/v1/catalog/products?currency=GBP", "web")
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["errors"][0]["field"] == "query.currency"
        assert "etag" not in bad.headers
