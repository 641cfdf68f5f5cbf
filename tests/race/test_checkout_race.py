"""Many buyers race for a few units, on SQLite and PostgreSQL.

Threads call the checkout service at once (released together by a barrier, each with its own
unit of work and connection); processes race over real HTTP against two `souk serve`
instances with two workers each. Whatever the interleaving: exactly as many orders as units
sold, never more units committed than on hand, and declined or failed checkouts hold
nothing afterwards.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.carts.checkout import checkout
from souk.carts.schemas import CheckoutRequest, PaymentInput
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import OutOfStock, PaymentDeclined, SoukError
from souk.orders.tables import OrderRow
from souk.payments.tables import PaymentRow
from souk.settings import Settings
from tests.checkout_factories import ADDRESS_JP, Shop, make_shop
from tests.conftest import ADMIN_KEY
from tests.support.server import live_server

pytestmark = pytest.mark.slow

UNITS = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Units a declined buyer gives back must be buyable at once by the next buyers in this
    test, so the brief memory of sold-out SKUs (see souk.carts.sold_out) is off."""
    return settings.model_copy(update={"sold_out_cache_ms": 0})


def drop_shop(admin: TestClient, db: Database) -> Shop:
    """One SKU, a handful of units, three channels selling it."""
    shop = make_shop(admin, db)
    shop.location("wh-1")
    for code, kind in (("web", "web"), ("app", "app"), ("social", "social")):
        shop.channel(
            code,
            type=kind,
            default_currency="JPY",
            currencies=["JPY"],
            default_locale="ja",
            locales=["ja"],
            country="JP",
            ship_from=["wh-1"],
        )
    shop.product("drop", ("DROP-1",), channels=("web", "app", "social"), category=None)
    shop.price("DROP-1", "JPY", 25000)
    shop.receive("DROP-1", "wh-1", UNITS)
    shop.shipping_rate("jp", ["JP"], {"JPY": 0})
    return shop


def buyer_carts(shop: Shop, count: int) -> list[tuple[str, str]]:
    channels = ("web", "app", "social")
    carts = []
    for i in range(count):
        channel = channels[i % 3]
        cart = shop.cart(channel, email=f"b{i}@example.jp", shipping_address=ADDRESS_JP)
        assert shop.add(cart["id"], channel, "DROP-1").status_code == 201
        carts.append((cart["id"], channel))
    return carts


def committed(shop: Shop) -> dict[str, int]:
    stock = shop.stock_of("DROP-1")
    return {k: stock[k] for k in ("on_hand", "reserved", "allocated", "available")}


def count_orders(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)


def _race_threads(db: Database, carts: list[tuple[str, str]], tokens: list[str]) -> Counter[str]:
    barrier = threading.Barrier(len(carts))

    def buy(i: int) -> str:
        cart_id, channel = carts[i]
        barrier.wait()
        try:
            checkout(
                uow=UnitOfWork(db),
                cart_id=cart_id,
                channel=channel,
                customer_id=None,
                data=CheckoutRequest(payment=PaymentInput(provider="test", token=tokens[i])),
            )
        except OutOfStock:
            return "out-of-stock"
        except PaymentDeclined:
            return "declined"
        except SoukError as exc:
            return type(exc).__name__
        return "ordered"

    with ThreadPoolExecutor(max_workers=len(carts)) as pool:
        return Counter(pool.map(buy, range(len(carts))))


def test_threads_racing_for_the_last_units_place_exactly_that_many_orders(
    admin: TestClient, db: Database
) -> None:
    # Given 5 units and 24 buyers on three channels who all press "buy" at once
    shop = drop_shop(admin, db)
    carts = buyer_carts(shop, 24)
    # When they check out concurrently
    outcomes = _race_threads(db, carts, ["tok_ok"] * len(carts))
    # Then exactly 5 orders exist, every other buyer was told "out of stock", none oversold
    assert outcomes == Counter({"ordered": UNITS, "out-of-stock": 24 - UNITS})
    assert count_orders(db) == UNITS
    assert committed(shop) == {"on_hand": 5, "reserved": 0, "allocated": 5, "available": 0}
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(PaymentRow)) == UNITS


def test_declined_buyers_in_the_race_hold_nothing_afterwards(
    admin: TestClient, db: Database
) -> None:
    # Given 5 units and 20 buyers, every third of whom has a card that is declined
    shop = drop_shop(admin, db)
    carts = buyer_carts(shop, 20)
    tokens = ["tok_decline" if i % 3 == 0 else "tok_ok" for i in range(len(carts))]
    outcomes = _race_threads(db, carts, tokens)
    # Then no unit stays reserved, every unit is either sold or still for sale, and each
    # order is one unit; a declined buyer may have kept a paying buyer out only briefly
    stock = committed(shop)
    orders = count_orders(db)
    assert outcomes["ordered"] == orders <= UNITS
    assert set(outcomes) <= {"ordered", "declined", "out-of-stock"}
    assert stock == {"on_hand": 5, "reserved": 0, "allocated": orders, "available": 5 - orders}
    with db.transaction(write=False) as session:
        statuses = Counter(session.scalars(select(PaymentRow.status)))
    assert statuses == Counter({"authorized": orders, "declined": outcomes["declined"]})
    # And what is left can still be bought: nothing leaked.
    leftovers = buyer_carts(shop, 5 - orders)
    again = _race_threads(db, leftovers, ["tok_ok"] * len(leftovers)) if leftovers else Counter()
    assert again["ordered"] == 5 - orders
    assert committed(shop)["allocated"] == 5


def _http_buyer(args: tuple[str, str, str, str, Any]) -> list[int]:
    """A process of buyers: build their carts, wait for every process, then buy at once."""
    url, key, token, prefix, barrier = args
    statuses = []
    with httpx.Client(base_url=url, headers={"X-Publishable-Key": key}, timeout=60) as client:
        carts = []
        for i in range(6):
            cart = client.post(
                "/v1/carts",
                json={"email": f"{prefix}{i}@example.jp", "shipping_address": ADDRESS_JP},
            ).json()
            assert (
                client.post(
                    f"/v1/carts/{cart['id']}/lines", json={"sku": "DROP-1", "quantity": 1}
                ).status_code
                == 201
            )
            carts.append(cart["id"])
        barrier.wait()
        with ThreadPoolExecutor(max_workers=len(carts)) as pool:
            responses = pool.map(
                lambda cart_id: client.post(
                    f"/v1/carts/{cart_id}/checkout",
                    json={"payment": {"provider": "test", "token": token}},
                ),
                carts,
            )
            statuses = [r.status_code for r in responses]
    return statuses


def test_processes_racing_over_http_against_several_servers(
    admin: TestClient, db: Database, database_url: str
) -> None:
    # Given 5 units, two servers with two worker processes each on one database
    shop = drop_shop(admin, db)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(live_server(database_url, ADMIN_KEY, workers=2)) for _ in range(2)
        ]
        context = multiprocessing.get_context("spawn")
        barrier = context.Manager().Barrier(6)
        # and six buyer processes of six buyers each, spread over channels and servers
        jobs = [
            (
                servers[i % 2].url,
                shop.keys[("web", "app", "social")[i % 3]],
                "tok_ok",
                f"p{i}-",
                barrier,
            )
            for i in range(6)
        ]
        with context.Pool(len(jobs)) as pool:
            statuses = Counter(s for result in pool.map(_http_buyer, jobs) for s in result)
    # Then exactly 5 orders, 31 buyers told "out of stock", nothing held or oversold
    assert statuses == Counter({201: UNITS, 409: 36 - UNITS})
    assert count_orders(db) == UNITS
    assert committed(shop) == {"on_hand": 5, "reserved": 0, "allocated": 5, "available": 0}
