"""What the flash_drop and checkout benchmarks share: a shop set up through the admin API,
and the two baselines measured in the same run (pgbench's conditional update on one hot row;
a minimal FastAPI endpoint)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from benchmarks.harness import admin_client, pgbench_hot_row, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool

ADDRESS = {"name": "Buyer", "line1": "1-1 Chiyoda", "city": "Tokyo", "country": "JP"}
CHANNELS = ("web", "app", "social")
PAY = {"payment": {"provider": "test", "token": "tok_ok"}}


async def buy(connection: Connection, n: int, key: dict[str, str], skus: list[str]) -> None:
    """One shopper's flow: a cart, a line per SKU, address and delivery, checkout (201)."""
    body = {"email": f"s{n}@example.jp"}
    cart_id = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
    for sku in skus:
        await connection.request(
            "POST", f"/v1/carts/{cart_id}/lines", {"sku": sku, "quantity": 1}, key
        )
    patch = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
    await connection.request("PATCH", f"/v1/carts/{cart_id}", patch, key)
    placed = await connection.request("POST", f"/v1/carts/{cart_id}/checkout", PAY, key)
    if placed.status != 201:
        raise RuntimeError(f"checkout {placed.status}: {placed.body[:300]!r}")


def minimal_endpoint_rps(concurrency: int, seconds: float = 4.0) -> float:
    """Requests per second one uvicorn worker serves on a trivial FastAPI endpoint, driven
    by the same load generator as the benchmark."""
    with serve(
        None, 1, app="benchmarks.minimal_app:app", factory=False, ready_path="/ping"
    ) as server:

        async def main() -> int:
            done = 0
            stop = time.perf_counter() + seconds

            async def hammer(connection: Connection, _: Any) -> None:
                nonlocal done
                while time.perf_counter() < stop:
                    await connection.request("GET", "/ping")
                    done += 1

            await run_pool(
                range(concurrency), hammer, base_url=server.base, concurrency=concurrency
            )
            return done

        return float(run(main())) / seconds


def pgbench_hot_row_tps(clients: int, seconds: int = 4) -> float | None:
    """Conditional updates per second on one hot row — the shape of a flash drop's reserve —
    by pgbench against a scratch database (None when pgbench is missing)."""
    with scratch_database("postgresql") as url:
        ceiling = pgbench_hot_row(url, clients, seconds)
    return None if ceiling is None else float(ceiling["per_s"])


class Admin:
    """The operator's side of the set-up, over HTTP."""

    def __init__(self, base: str, client: httpx.Client | None = None) -> None:
        self.client = client or admin_client(base)

    def __call__(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def shop(self, products: dict[str, int], price: int = 25000) -> dict[str, str]:
        """A warehouse, three channels selling JPY with their storefront keys, one product
        per SKU listed everywhere with `units` in stock; returns channel → key."""
        self(
            "POST",
            "/v1/locations",
            {
                "code": "wh-1",
                "name": "Warehouse",
                "type": "warehouse",
                "address": {"country": "JP"},
                "timezone": "Asia/Tokyo",
            },
            201,
        )
        keys = {}
        for code in CHANNELS:
            self(
                "POST",
                "/v1/channels",
                {
                    "code": code,
                    "name": code.title(),
                    "type": code,
                    "default_currency": "JPY",
                    "currencies": ["JPY"],
                    "default_locale": "ja",
                    "locales": ["ja", "en"],
                    "country": "JP",
                    "prices_include_tax": True,
                    "ship_from": ["wh-1"],
                },
                201,
            )
            keys[code] = self(
                "POST",
                "/v1/api-keys",
                {"name": code, "role": "storefront", "channel": code},
                201,
            )["key"]
        for sku, units in products.items():
            self.product(sku, units, price)
        self("POST", "/v1/tax-rates", {"country": "JP", "rate": "0.10"}, 201)
        self(
            "POST",
            "/v1/shipping-rates",
            {
                "code": "jp",
                "name": "Japan",
                "countries": ["JP"],
                "prices": [{"currency": "JPY", "amount": 800}],
            },
            201,
        )
        return keys

    def product(self, sku: str, units: int, price: int = 25000) -> None:
        """One product with one variant `sku`, listed on every channel, priced in JPY, with
        `units` at the warehouse."""
        handle = sku.lower()
        self(
            "POST",
            "/v1/products",
            {"handle": handle, "title": {"ja": sku, "en": sku}, "variants": [{"sku": sku}]},
            201,
        )
        for code in CHANNELS:
            self("PUT", f"/v1/products/{handle}/listings/{code}", {"published": True})
        self("PUT", "/v1/prices", [{"sku": sku, "currency": "JPY", "amount": price}])
        self(
            "POST",
            "/v1/inventory/movements",
            {"sku": sku, "location": "wh-1", "type": "receipt", "quantity": units},
            201,
        )

    def stock(self, sku: str) -> dict[str, int]:
        total: dict[str, int] = self("GET", f"/v1/inventory/{sku}")["total"]
        return total

    def count_orders(self) -> int:
        count, cursor = 0, None
        while True:
            page = self("GET", "/v1/orders?limit=200" + (f"&cursor={cursor}" if cursor else ""))
            count += len(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                return count
