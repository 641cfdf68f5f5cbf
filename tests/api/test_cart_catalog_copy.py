"""What a cart shows of the catalog and the price list may come from the process's copy; a
checkout never does.

`catalog.queries.cart_items` keeps the facts of a SKU a cart showed (variant, listing,
title) and `pricing.queries.unit_prices` its price for SOUK_REFERENCE_CACHE_MS; each forgets
them at once when this process commits a change to them, and shows another process's change
within that time. The checkout reads both exactly. Both back ends.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from souk.db.engine import Database
from souk.settings import Settings
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A lifetime far longer than any test: what another process changed stays unseen here,
    # so the checkout's exact read is what decides.
    return settings.model_copy(update={"reference_cache_ms": 3_600_000})


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = tokyo_shop(admin, db)
    shop.product("tote", ("TOTE-1",), channels=("web",), title={"ja": "トート", "en": "Tote"})
    shop.price("TOTE-1", "JPY", 2500)
    shop.receive("TOTE-1", "wh-tokyo", 5)
    return shop


def _cart_with_tote(shop: Shop) -> dict[str, Any]:
    cart = shop.call("POST", "/v1/carts", "web", json={"email": "mio@example.jp"}).json()
    added = shop.add(cart["id"], "web", "TOTE-1")
    assert added.status_code == 201, added.text
    where = {"shipping_address": ADDRESS_JP, "fulfillment": {"type": "delivery"}}
    patched = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=where)
    assert patched.status_code == 200, patched.text
    return dict(patched.json())


def test_a_product_changed_here_shows_in_the_next_cart_read(shop: Shop) -> None:
    # Given a cart that showed the tote under its first title
    cart = _cart_with_tote(shop)
    assert cart["lines"][0]["title"] == "トート"
    # When the merchandiser renames it through this process
    renamed = shop.admin.patch("/v1/products/tote", json={"title": {"ja": "帆布トート"}})
    assert renamed.status_code == 200, renamed.text
    # Then the very next read of the cart shows the new title
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert seen["lines"][0]["title"] == "帆布トート"


def test_a_listing_withdrawn_elsewhere_is_refused_at_checkout_however_the_cart_saw_it(
    shop: Shop, db: Database
) -> None:
    # Given a cart ready to check out
    cart = _cart_with_tote(shop)
    assert cart["ready_for_checkout"] is True
    # When another process withdraws the listing (written with no event this process hears)
    with db.engine.begin() as conn:
        withdrawn = conn.execute(
            text(
                "UPDATE listings SET published = :no WHERE product_id ="
                " (SELECT id FROM products WHERE handle = 'tote')"
            ),
            {"no": False},
        )
        assert withdrawn.rowcount == 1
    # Then this process's carts may still show it on sale, from their copy…
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert seen["ready_for_checkout"] is True
    # …but the checkout reads the catalog as it is, refuses it and places nothing
    refused = shop.checkout(cart["id"], "web")
    assert refused.status_code == 422, refused.text
    assert any(e["field"].startswith("cart.lines.0") for e in refused.json()["errors"])
    assert shop.admin.get("/v1/orders").json()["data"] == []


def test_a_price_changed_here_shows_in_the_next_cart_read(shop: Shop) -> None:
    # Given a cart that showed the tote at 2,500 yen
    cart = _cart_with_tote(shop)
    assert cart["lines"][0]["unit_price"]["amount"] == 2500
    # When the merchandiser reprices it through this process
    shop.price("TOTE-1", "JPY", 2200)
    # Then the very next read shows the new price and says that it changed
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert seen["lines"][0]["unit_price"]["amount"] == 2200
    assert [(c["reason"], c["previous"]["amount"], c["current"]["amount"])
            for c in seen["changes"]] == [("price-changed", 2500, 2200)]  # fmt: skip


def test_a_price_changed_elsewhere_is_charged_as_it_is_however_the_cart_saw_it(
    shop: Shop, db: Database
) -> None:
    # Given a cart that showed the tote at 2,500 yen
    cart = _cart_with_tote(shop)
    # When another process raises the price (written with no event this process hears)
    with db.engine.begin() as conn:
        raised = conn.execute(
            text(
                "UPDATE prices SET amount = :amount WHERE currency = 'JPY' AND variant_id ="
                " (SELECT id FROM variants WHERE sku = 'TOTE-1')"
            ),
            {"amount": 2800},
        )
        assert raised.rowcount == 1
    # Then this process's carts may still show the old price, from their copy…
    seen = shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()
    assert seen["lines"][0]["unit_price"]["amount"] == 2500
    # …but the order is priced as the price list stands: the checkout reads it exactly
    placed = shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    lines = placed.json()["lines"]
    assert [(x["sku"], x["unit_price"]["amount"]) for x in lines] == [("TOTE-1", 2800)]
