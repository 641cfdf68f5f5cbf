"""What routing at placement costs, counted in SQL statements (a SQLAlchemy
`before_cursor_execute` hook, not timing), on both back ends: a single-SKU delivery order
from the one warehouse that has it — the flash drop's order — and a pickup sent from a
warehouse. The figures are written down in docs/orders.md; the budgets here are those
figures, so that a change that makes routing dearer has to say so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from souk.carts import checkout as checkout_module
from souk.db.engine import Database
from souk.settings import Settings
from tests.checkout_factories import ADDRESS_JP, Shop, make_shop

# Measured 2026-12-02 on both back ends (docs/orders.md): routing a single-SKU delivery
# order used to cost 18 statements in the dispatcher; at placement, with the order row and
# the channel checkout holds (and no category lookup when no location excludes any), 8;
# 7 since the routing claim is one INSERT … ON CONFLICT DO NOTHING (it was a read, then an
# insert in a savepoint). A pickup sent from a warehouse costs 22 (the transfer request is
# most of it), 26 since routing also makes the fulfilment orders' views the 201 answers
# with (each line's incoming transfer): the answer no longer reads them back (3 fewer).
# 2026-12-03: the channel's locations come from the process's reference cache
# (souk.db.reference) in steady state: a delivery 6. 2026-12-08: routing's events are
# written with the rest of its transaction's, by one INSERT right before the commit
# (souk.db.outbox), which is after the span counted here: a delivery 4 and a pickup through
# a transfer 24 in routing itself, plus that one INSERT (the checkout budget counts it).
DELIVERY_ROUTING = 4
PICKUP_TRANSFER_ROUTING = 24


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Steady state: the reference data read by the warm-up order is still kept when the
    # counted one is routed, however busy the machine.
    return settings.model_copy(update={"reference_cache_ms": 3_600_000})


class Counter:
    def __init__(self) -> None:
        self.total = 0
        self.routing = 0
        self.in_routing = False
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:
        self.total += 1
        if self.in_routing:
            self.routing += 1
            self.statements.append(str(args[2]).split("\n")[0][:90])


@contextmanager
def counting(admin: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    db: Database = admin.app.state.db  # type: ignore[attr-defined]
    counter = Counter()
    route_now = checkout_module.route_now

    def counted_route_now(*args: Any, **kwargs: Any) -> bool:
        counter.in_routing = True
        try:
            return route_now(*args, **kwargs)
        finally:
            counter.in_routing = False

    monkeypatch.setattr(checkout_module, "route_now", counted_route_now)
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def drop_shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.location("wh-1")
    shop.location("store-1", store=True)
    shop.channel(
        "web", type="web", default_currency="JPY", currencies=["JPY"], default_locale="ja",
        locales=["ja"], country="JP", ship_from=["wh-1"], pickup_at=["store-1"],
    )  # fmt: skip
    shop.product("drop", ("DROP-1",), channels=("web",), category=None)
    shop.price("DROP-1", "JPY", 25000)
    shop.receive("DROP-1", "wh-1", 50)
    shop.shipping_rate("jp", ["JP"], {"JPY": 0})
    return shop


def test_routing_a_single_sku_order_at_placement(
    admin: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = drop_shop(admin, db)
    carts = []
    for i in range(2):
        cart = shop.cart("web", email=f"b{i}@example.jp", shipping_address=ADDRESS_JP)
        assert shop.add(cart["id"], "web", "DROP-1").status_code == 201
        carts.append(cart["id"])
    shop.checkout(carts[0], "web")  # warm: first-time reads and caches
    with counting(admin, monkeypatch) as counter:
        placed = shop.checkout(carts[1], "web")
    assert placed.status_code == 201
    (fo,) = placed.json()["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("wh-1", "ship")
    assert counter.routing == DELIVERY_ROUTING, counter.statements
    # Nothing in routing touches the hot stock row: the allocation checkout made is kept.
    assert not [x for x in counter.statements if x.startswith("UPDATE stock_levels")]


def test_routing_a_pickup_through_a_transfer_at_placement(
    admin: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = drop_shop(admin, db)
    carts = []
    for i in range(2):
        pickup = {"type": "pickup", "location": "store-1"}
        cart = shop.cart("web", email=f"b{i}@example.jp", fulfillment=pickup)
        assert shop.add(cart["id"], "web", "DROP-1").status_code == 201
        carts.append(cart["id"])
    shop.checkout(carts[0], "web")
    with counting(admin, monkeypatch) as counter:
        placed = shop.checkout(carts[1], "web")
    assert placed.status_code == 201
    (fo,) = placed.json()["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("store-1", "pickup")
    assert fo["lines"][0]["incoming_transfer"]["from"] == "wh-1"
    assert counter.routing == PICKUP_TRANSFER_ROUTING, counter.statements


def test_a_location_changed_in_this_process_is_routed_with_at_once(
    admin: TestClient, db: Database
) -> None:
    # Given two warehouses with the drop, the first preferred, and its locations already in
    # the process's reference cache (a first order was routed from the first)
    shop = drop_shop(admin, db)
    shop.location("wh-2")
    patched = admin.patch("/v1/channels/web", json={"ship_from": ["wh-1", "wh-2"]})
    assert patched.status_code == 200, patched.text
    shop.receive("DROP-1", "wh-2", 50)
    carts = []
    for i in range(2):
        cart = shop.cart("web", email=f"b{i}@example.jp", shipping_address=ADDRESS_JP)
        assert shop.add(cart["id"], "web", "DROP-1").status_code == 201
        carts.append(cart["id"])
    first = shop.checkout(carts[0], "web").json()
    assert [fo["location"] for fo in first["fulfillment_orders"]] == ["wh-1"]
    # When the first warehouse stops shipping
    closed = admin.patch("/v1/locations/wh-1", json={"can_ship": False})
    assert closed.status_code == 200, closed.text
    # Then the next order is routed from the second, not from the cached copy of the first
    second = shop.checkout(carts[1], "web").json()
    assert [fo["location"] for fo in second["fulfillment_orders"]] == ["wh-2"]
