"""Two shoppers race over real HTTP for the one unit a warehouse has, both for pickup at a
store that has none, on SQLite and PostgreSQL (a `souk serve` with two workers).

Each checkout plans to take the warehouse's unit and send it to the store (the endless
aisle); the claim's conditional update decides: exactly one order, the other told "out of
stock" with the short line, the unit committed once (to the winner's transfer), and
reserved + allocated <= on hand everywhere.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.inventory.tables import stock_transfers
from souk.orders.tables import OrderRow
from souk.settings import Settings
from tests.checkout_factories import Shop, make_shop
from tests.conftest import ADMIN_KEY
from tests.support.server import live_server

pytestmark = pytest.mark.slow

ROUNDS = 3  # one SKU per round: more interleavings for the price of one server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sold_out_cache_ms": 0})


def aisle_shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.location("wh-1")
    shop.location("store-1", store=True)
    shop.channel(
        "web", type="web", default_currency="JPY", currencies=["JPY"], default_locale="ja",
        locales=["ja"], country="JP", ship_from=["wh-1"], pickup_at=["store-1"],
    )  # fmt: skip
    for n in range(ROUNDS):
        shop.product(f"lamp-{n}", (f"LAMP-{n}",), channels=("web",), category=None)
        shop.price(f"LAMP-{n}", "JPY", 9000)
        shop.receive(f"LAMP-{n}", "wh-1", 1)
    return shop


def pickup_cart(client: httpx.Client, sku: str, n: int) -> str:
    cart = client.post(
        "/v1/carts",
        json={
            "email": f"s{n}@example.jp",
            "fulfillment": {"type": "pickup", "location": "store-1"},
        },
    )
    assert cart.status_code == 201, cart.text
    added = client.post(f"/v1/carts/{cart.json()['id']}/lines", json={"sku": sku, "quantity": 1})
    assert added.status_code == 201, added.text
    (line,) = added.json()["lines"]
    assert line["pickup"]["available_now"] is False and line["pickup"]["estimated_ready_at"]
    return str(cart.json()["id"])


def race(url: str, key: str, sku: str) -> list[httpx.Response]:
    headers = {"X-Publishable-Key": key}
    clients = [httpx.Client(base_url=url, headers=headers, timeout=60) for _ in range(2)]
    try:
        carts = [pickup_cart(c, sku, n) for n, c in enumerate(clients)]
        barrier = threading.Barrier(len(clients))

        def buy(i: int) -> httpx.Response:
            barrier.wait()
            return clients[i].post(
                f"/v1/carts/{carts[i]}/checkout",
                json={"payment": {"provider": "test", "token": "tok_ok"}},
            )

        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            return list(pool.map(buy, range(len(clients))))
    finally:
        for c in clients:
            c.close()


def figures(shop: Shop, sku: str) -> dict[str, dict[str, Any]]:
    rows = shop.admin.get(f"/v1/inventory/{sku}").json()["locations"]
    return {r["location"]: r for r in rows}


def test_two_shoppers_race_for_the_warehouses_last_unit_toward_an_empty_store(
    admin: TestClient, db: Database, database_url: str
) -> None:
    # Given one unit per SKU at the warehouse, none at the store, and a real server
    shop = aisle_shop(admin, db)
    with live_server(database_url, ADMIN_KEY, workers=2) as server:
        # When two shoppers check out for pickup at the store at the same moment
        results = {
            f"LAMP-{n}": race(server.url, shop.keys["web"], f"LAMP-{n}") for n in range(ROUNDS)
        }
    for sku, responses in results.items():
        # Then exactly one order, whose pickup waits for a transfer; the other is refused
        assert Counter(r.status_code for r in responses) == Counter({201: 1, 409: 1}), [
            r.text for r in responses
        ]
        won = next(r for r in responses if r.status_code == 201).json()
        lost = next(r for r in responses if r.status_code == 409).json()
        (fo,) = won["fulfillment_orders"]
        (line,) = fo["lines"]
        assert (fo["location"], fo["type"]) == ("store-1", "pickup")
        assert fo["estimated_ready_at"] is not None
        assert (line["incoming_transfer"]["from"], line["incoming_transfer"]["status"]) == (
            "wh-1",
            "requested",
        )
        assert lost["type"].endswith("/out-of-stock")
        assert [(x["sku"], x["requested"], x["available"]) for x in lost["lines"]] == [(sku, 1, 0)]
        # and the unit is committed once, to the winner's transfer; nothing else is held
        stock = figures(shop, sku)
        assert {k: stock["wh-1"][k] for k in ("on_hand", "reserved", "allocated")} == {
            "on_hand": 1,
            "reserved": 0,
            "allocated": 1,
        }
        for row in stock.values():
            assert row["reserved"] + row["allocated"] <= max(row["on_hand"], 0), row
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(OrderRow)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(stock_transfers)) == ROUNDS
