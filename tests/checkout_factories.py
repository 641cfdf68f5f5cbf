"""A small shop for customers, carts, checkout and orders tests, built through the admin API.

`Shop.store` is a second client on the same app without the admin key, for storefront calls
(`X-Publishable-Key` per channel, a customer token when signed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient

from souk.db.engine import Database
from tests.catalog_factories import channel_body, list_product, make_product
from tests.support.account_mail import verification_token

ADDRESS_JP = {"name": "Aiko", "line1": "1-1 Chiyoda", "city": "Tokyo", "country": "JP"}
ADDRESS_FR = {"name": "Anne", "line1": "1 rue de Rivoli", "city": "Paris", "country": "FR"}
ADDRESS_US = {
    "name": "Ann",
    "line1": "1 Broadway",
    "city": "New York",
    "region": "NY",
    "country": "US",
}


@dataclass
class Shop:
    admin: TestClient
    db: Database
    store: TestClient
    keys: dict[str, str] = field(default_factory=dict)

    # -- set-up (admin) ------------------------------------------------------------------
    def location(self, code: str, *, country: str = "JP", store: bool = False) -> None:
        body = {
            "code": code,
            "name": code.title(),
            "type": "store" if store else "warehouse",
            "address": {"line1": "1 Main St", "city": "City", "country": country},
            "lat": 35.68,
            "lon": 139.76,
            "timezone": "Asia/Tokyo",
            "can_ship": True,
            "can_pickup": store,
        }
        response = self.admin.post("/v1/locations", json=body)
        assert response.status_code == 201, response.text

    def channel(self, code: str, **changes: Any) -> str:
        response = self.admin.post("/v1/channels", json=channel_body(code, **changes))
        assert response.status_code == 201, response.text
        key = self.admin.post(
            "/v1/api-keys", json={"name": f"{code} shop", "role": "storefront", "channel": code}
        )
        assert key.status_code == 201, key.text
        self.keys[code] = key.json()["key"]
        return code

    def product(
        self,
        handle: str,
        skus: tuple[str, ...],
        *,
        channels: tuple[str, ...],
        weight_g: int = 250,
        category: str | None = "shirts",
        title: dict[str, str] | None = None,
        **listing: Any,
    ) -> None:
        make_product(
            self.admin,
            handle,
            skus,
            category=category,
            title=title or {"en": handle.title()},
            description={},
            variants=[{"sku": s, "weight_g": weight_g} for s in skus],
        )
        for code in channels:
            self.listing(handle, code, **listing)

    def listing(self, handle: str, channel: str, **listing: Any) -> None:
        for key in ("available_from", "available_until"):
            if key in listing and not isinstance(listing[key], str):
                listing[key] = listing[key].isoformat()
        list_product(self.admin, handle, channel, **listing)

    def price(self, sku: str, currency: str, amount: int, channel: str | None = None) -> None:
        body = {"sku": sku, "currency": currency, "amount": amount, "channel": channel}
        response = self.admin.put("/v1/prices", json=[body])
        assert response.status_code == 200, response.text

    def price_update(self, sku: str, currency: str, amount: int) -> None:
        self.price(sku, currency, amount)

    def tax(
        self, country: str, rate: str, *, category: str | None = None, region: str | None = None
    ) -> None:
        body = {"country": country, "rate": rate, "category": category, "region": region}
        response = self.admin.post("/v1/tax-rates", json=body)
        assert response.status_code == 201, response.text

    def receive(self, sku: str, location: str, quantity: int) -> None:
        response = self.admin.post(
            "/v1/inventory/movements",
            json={"sku": sku, "location": location, "type": "receipt", "quantity": quantity},
        )
        assert response.status_code == 201, response.text

    def shipping_rate(
        self, code: str, countries: list[str], prices: dict[str, int], **more: Any
    ) -> None:
        body = {
            "code": code,
            "name": code.title(),
            "countries": countries,
            "prices": [{"currency": c, "amount": a} for c, a in prices.items()],
            **more,
        }
        response = self.admin.post("/v1/shipping-rates", json=body)
        assert response.status_code == 201, response.text

    def stock_of(self, sku: str) -> dict[str, Any]:
        response = self.admin.get(f"/v1/inventory/{sku}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["total"]
        return result

    # -- storefront ----------------------------------------------------------------------
    def headers(self, channel: str, token: str | None = None, **more: str) -> dict[str, str]:
        headers = {"X-Publishable-Key": self.keys[channel], **more}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def call(
        self,
        method: str,
        path: str,
        channel: str,
        *,
        token: str | None = None,
        json: Any = None,
        **headers: str,
    ) -> httpx.Response:
        return self.store.request(
            method, path, json=json, headers=self.headers(channel, token, **headers)
        )

    def register(self, channel: str, email: str, **body: Any) -> dict[str, Any]:
        """Register and open the emailed link: the signed-in session."""
        response = self.call(
            "POST",
            "/v1/customers/register",
            channel,
            json={"email": email, "password": "correct horse battery", **body},
        )
        assert response.status_code == 202, response.text
        token = verification_token(self.store.app, email.lower())  # type: ignore[arg-type]
        verified = self.call("POST", "/v1/customers/verify", channel, json={"token": token})
        assert verified.status_code == 201, verified.text
        result: dict[str, Any] = verified.json()
        return result

    def cart(self, channel: str, token: str | None = None, **body: Any) -> dict[str, Any]:
        response = self.call("POST", "/v1/carts", channel, token=token, json=body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def add(
        self, cart_id: str, channel: str, sku: str, quantity: int = 1, token: str | None = None
    ) -> httpx.Response:
        return self.call(
            "POST",
            f"/v1/carts/{cart_id}/lines",
            channel,
            token=token,
            json={"sku": sku, "quantity": quantity},
        )

    def checkout(
        self,
        cart_id: str,
        channel: str,
        token: str | None = None,
        pay: str = "tok_ok",
        **headers: str,
    ) -> httpx.Response:
        return self.call(
            "POST",
            f"/v1/carts/{cart_id}/checkout",
            channel,
            token=token,
            json={"payment": {"provider": "test", "token": pay}},
            **headers,
        )


def make_shop(admin: TestClient, db: Database) -> Shop:
    return Shop(admin=admin, db=db, store=TestClient(admin.app))


def tokyo_shop(admin: TestClient, db: Database) -> Shop:
    """A Japanese retailer: a warehouse and a Tokyo store, a web shop in Japanese and an app
    in English, both selling in JPY (and USD, EUR), prices including 10 % consumption tax,
    and sneakers priced ¥12,000 in stock."""
    shop = make_shop(admin, db)
    shop.location("wh-tokyo")
    shop.location("store-ginza", store=True)
    common = {
        "default_currency": "JPY",
        "currencies": ["JPY", "USD", "EUR"],
        "locales": ["ja", "en"],
        "country": "JP",
        "prices_include_tax": True,
        "ship_from": ["wh-tokyo"],
        "pickup_at": ["store-ginza"],
    }
    shop.channel("web", type="web", default_locale="ja", **common)
    shop.channel("app", type="app", default_locale="en", **common)
    shop.product(
        "sneaker",
        ("SNK-42", "SNK-43"),
        channels=("web", "app"),
        category="shoes",
        weight_g=900,
        title={"en": "Sneaker", "ja": "スニーカー"},
    )
    for sku in ("SNK-42", "SNK-43"):
        shop.price(sku, "JPY", 12000)
        shop.price(sku, "USD", 8900)
        shop.receive(sku, "wh-tokyo", 10)
    shop.receive("SNK-42", "store-ginza", 2)
    shop.tax("JP", "0.10")
    shop.shipping_rate("jp-standard", ["JP"], {"JPY": 800, "USD": 600})
    return shop
