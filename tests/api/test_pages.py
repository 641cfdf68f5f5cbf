"""The pages' headers and shells: a strict policy (no 'unsafe-inline'), the till's files for
offline use, the shop's language and channel, and a publishable key that works."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from souk.pages.shop.config import derived_key
from tests.catalog_factories import make_channel, make_location

STRICT = "script-src 'self'; style-src 'self'"


def _config(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="shop-config">(.*?)</script>', html)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_till_files_carry_a_policy_without_unsafe_inline(client: TestClient) -> None:
    for path in ("/pos/", "/pos/app.js", "/pos/sw.js", "/pos/till.css"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        csp = answer.headers["content-security-policy"]
        assert STRICT in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert client.get("/pos/sw.js").headers["service-worker-allowed"] == "/pos/"
    assert client.get("/pos", follow_redirects=False).headers["location"].endswith("/pos/")
    assert client.get("/pos/nothing.js").status_code == 404


def test_the_shop_waits_for_a_channel_then_speaks_the_shoppers_language(
    admin: TestClient,
) -> None:
    shopper = TestClient(admin.app)
    empty = shopper.get("/shop/")
    assert empty.status_code == 503 and "No web channel yet" in empty.text
    make_location(admin, "store-1", "store")
    make_channel(admin, "app", type="app")
    make_channel(admin, "web", pickup_at=["store-1"], currencies=["EUR", "JPY"])
    page = shopper.get("/shop/", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and "商品一覧" in page.text
    csp = page.headers["content-security-policy"]
    assert STRICT in csp and "unsafe-inline" not in csp
    config = _config(page.text)
    shown = (config["channel"], config["currencies"], config["lang"])
    assert shown == ("web", ["EUR", "JPY"], "ja")
    assert [p["code"] for p in config["places"]] == ["store-1"]  # type: ignore[attr-defined]
    # ?lang= wins and is remembered
    french = shopper.get("/shop/cart", params={"lang": "fr"})
    assert '<html lang="fr">' in french.text and "Panier" in french.text
    assert _config(shopper.get("/shop/account").text)["lang"] == "fr"
    unknown = shopper.get("/shop/", params={"lang": "xx"}, cookies={"shop_lang": "zz"})
    assert _config(unknown.text)["lang"] == "en"
    # a product page knows its handle; markup in a handle is never markup in the page
    product = shopper.get("/shop/products/linen-shirt")
    assert _config(product.text)["handle"] == "linen-shirt"
    hostile = shopper.get("/shop/products/</script><script>alert(1)")
    assert "<script>alert(1)" not in hostile.text


def test_the_shops_key_is_a_working_publishable_key_of_its_channel(admin: TestClient) -> None:
    make_channel(admin, "web")
    shopper = TestClient(admin.app)
    key = _config(shopper.get("/shop/").text)["key"]
    assert isinstance(key, str) and key.startswith("pk_shop_")
    assert _config(shopper.get("/shop/").text)["key"] == key  # the same on every page
    catalog = shopper.get("/v1/catalog/products", headers={"X-Publishable-Key": key})
    assert catalog.status_code == 200 and catalog.json()["channel"] == "web"
    # the key is derived from the installation's secret: every server agrees on it
    assert derived_key("a" * 32, "web") == derived_key("a" * 32, "web")
    assert derived_key("a" * 32, "web") != derived_key("b" * 32, "web")
    assert derived_key("a" * 32, "web") != derived_key("a" * 32, "app")
