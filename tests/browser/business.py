"""A small business set up over HTTP on a live server, for the page tests: a warehouse and
a Paris store, a web channel (EUR, en/fr/ja) and a POS channel for the store, two products
with EAN-13 barcodes, stock, a shipping rate and a POS key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import ADMIN_KEY

SHIRT_S = "4006381333931"
SHIRT_M = "4006381333948"


@dataclass(frozen=True)
class Business:
    pos_key: str
    store: str = "store-paris"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.request.url, response.text)
    return response.json() if response.content else None


def _location(code: str, kind: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Paris Rivoli" if kind == "store" else "Warehouse Nord",
        "type": kind,
        "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001",
                    "country": "FR"},
        "lat": 48.8566 if kind == "store" else 49.0,
        "lon": 2.3522 if kind == "store" else 2.5,
        "timezone": "Europe/Paris",
        "can_ship": kind != "store",
        "can_pickup": kind == "store",
        "accepts_returns": True,
    }  # fmt: skip


def _channel(code: str, kind: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "Souk Paris" if kind == "pos" else "Souk web",
        "type": kind,
        "default_currency": "EUR",
        "currencies": ["EUR", "JPY"] if kind == "web" else ["EUR"],
        "default_locale": "en",
        "locales": ["en", "fr", "ja"],
        "country": "FR",
        "prices_include_tax": True,
        "ship_from": ["wh-1"],
        "pickup_at": ["store-paris"],
    }


def seed(url: str, admin_key: str) -> Business:
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60
    ) as admin:
        _ok(admin.post("/v1/locations", json=_location("wh-1", "warehouse")))
        _ok(admin.post("/v1/locations", json=_location("store-paris", "store")))
        _ok(admin.post("/v1/channels", json=_channel("web", "web")))
        _ok(admin.post("/v1/channels", json=_channel("pos-paris", "pos")))
        _ok(admin.post("/v1/tax-rates", json={"country": "FR", "rate": "0.20"}))
        _ok(admin.post("/v1/categories", json={"code": "shirts"}))
        _ok(admin.post("/v1/categories", json={"code": "books"}))
        _ok(admin.post("/v1/products", json={
            "handle": "linen-shirt", "category": "shirts",
            "title": {"en": "Linen shirt", "fr": "Chemise en lin", "ja": "リネンシャツ"},
            "description": {"en": "Breathable linen.", "fr": "Lin respirant.",
                            "ja": "通気性のよいリネン。"},
            "variants": [
                {"sku": "LS-S", "options": {"size": "S"}, "barcode": SHIRT_S},
                {"sku": "LS-M", "options": {"size": "M"}, "barcode": SHIRT_M},
            ],
        }))  # fmt: skip
        _ok(admin.post("/v1/products", json={
            "handle": "cookbook", "category": "books",
            "title": {"en": "Cookbook", "fr": "Livre de cuisine", "ja": "料理本"},
            "variants": [{"sku": "CB-1"}],
        }))  # fmt: skip
        _ok(admin.put("/v1/prices", json=[
            {"sku": "LS-S", "currency": "EUR", "amount": 2990},
            {"sku": "LS-M", "currency": "EUR", "amount": 2990},
            {"sku": "LS-S", "currency": "JPY", "amount": 4900},
            {"sku": "LS-M", "currency": "JPY", "amount": 4900},
            {"sku": "CB-1", "currency": "EUR", "amount": 1850},
            {"sku": "CB-1", "currency": "JPY", "amount": 3000},
        ]))  # fmt: skip
        for handle in ("linen-shirt", "cookbook"):
            for channel in ("web", "pos-paris"):
                _ok(
                    admin.put(f"/v1/products/{handle}/listings/{channel}", json={"published": True})
                )
        for sku, location, quantity in (
            ("LS-S", "store-paris", 10), ("LS-M", "store-paris", 3), ("CB-1", "store-paris", 4),
            ("LS-S", "wh-1", 20), ("LS-M", "wh-1", 20), ("CB-1", "wh-1", 20),
        ):  # fmt: skip
            _ok(admin.post("/v1/inventory/movements", json={
                "sku": sku, "location": location, "type": "receipt", "quantity": quantity,
            }))  # fmt: skip
        _ok(admin.post("/v1/shipping-rates", json={
            "code": "fr-standard", "name": "Standard", "countries": ["FR"],
            "prices": [{"currency": "EUR", "amount": 490}, {"currency": "JPY", "amount": 800}],
        }))  # fmt: skip
        key = _ok(admin.post("/v1/api-keys", json={
            "name": "till-1", "role": "pos", "channel": "pos-paris", "location": "store-paris",
        }))["key"]  # fmt: skip
    return Business(pos_key=key)


def pickup_order(url: str, admin_key: str = ADMIN_KEY) -> tuple[dict[str, Any], str]:
    """A web order for pickup at the Paris store, made ready: the order and its code."""
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60)
    key = admin.post(
        "/v1/api-keys", json={"name": "web", "role": "storefront", "channel": "web"}
    ).json()["key"]
    shop = httpx.Client(base_url=url, headers={"X-Publishable-Key": key}, timeout=60)
    cart = shop.post("/v1/carts", json={"currency": "EUR"}).json()
    shop.post(f"/v1/carts/{cart['id']}/lines", json={"sku": "LS-M", "quantity": 1})
    shop.patch(
        f"/v1/carts/{cart['id']}",
        json={
            "email": "yui@example.com",
            "fulfillment": {"type": "pickup", "location": "store-paris"},
        },
    )
    placed = shop.post(
        f"/v1/carts/{cart['id']}/checkout",
        json={"payment": {"provider": "test", "token": "tok_ok"}},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    fo = order["fulfillment_orders"][0]
    assert admin.post(f"/v1/fulfillment-orders/{fo['id']}/accept").status_code == 200
    ready = admin.post(f"/v1/fulfillment-orders/{fo['id']}/ready").json()
    return order, ready["pickup_code"]
