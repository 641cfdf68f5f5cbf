"""Small factories for channels, products, listings and prices, through the admin API.

Other domains' tests may use them to set up a sellable catalog in a few lines.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def channel_body(code: str = "web", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"Channel {code}",
        "type": "web",
        "default_currency": "EUR",
        "currencies": ["EUR", "USD", "JPY"],
        "default_locale": "en",
        "locales": ["en", "fr", "ja"],
        "country": "FR",
        "prices_include_tax": True,
        "ship_from": [],
        "pickup_at": [],
    }
    body.update(changes)
    return body


def make_channel(admin: TestClient, code: str = "web", **changes: Any) -> dict[str, Any]:
    response = admin.post("/v1/channels", json=channel_body(code, **changes))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def product_body(
    handle: str = "linen-shirt", skus: tuple[str, ...] = ("LS-S", "LS-M"), **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "handle": handle,
        "title": {"en": "Linen shirt", "fr": "Chemise en lin", "ja": "リネンシャツ"},
        "description": {"en": "Breathable linen.", "fr": "Lin respirant."},
        "category": "shirts",
        "attributes": {"material": "linen"},
        "variants": [
            {"sku": sku, "options": {"size": sku.rsplit("-", 1)[-1]}, "weight_g": 250}
            for sku in skus
        ],
    }
    body.update(changes)
    return body


def make_product(
    admin: TestClient,
    handle: str = "linen-shirt",
    skus: tuple[str, ...] = ("LS-S", "LS-M"),
    **changes: Any,
) -> dict[str, Any]:
    response = admin.post("/v1/products", json=product_body(handle, skus, **changes))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def list_product(admin: TestClient, handle: str, channel: str, **listing: Any) -> dict[str, Any]:
    response = admin.put(
        f"/v1/products/{handle}/listings/{channel}", json={"published": True, **listing}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def set_prices(admin: TestClient, prices: list[dict[str, Any]]) -> Any:
    response = admin.put("/v1/prices", json=prices)
    assert response.status_code == 200, response.text
    return response.json()


def make_location(
    admin: TestClient, code: str, kind: str = "warehouse", **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": f"Location {code}",
        "type": kind,
        "address": {
            "line1": "1 rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
        },
        "lat": 48.8566,
        "lon": 2.3522,
        "timezone": "Europe/Paris",
        "can_ship": kind != "store",
        "can_pickup": kind == "store",
    }
    body.update(changes)
    response = admin.post("/v1/locations", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
