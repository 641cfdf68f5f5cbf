"""Orders are routed as they are placed, and click & collect never refuses what the network
has — through HTTP on both back ends, with no dispatcher run unless a test says so.

The French shop (tests/fulfilment_factories.py): tees in Paris (2) and Marseille (10), caps
in Paris (1) and Marseille (5), mugs only in Lyon (3). Lyon and Paris offer pickup.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.carts import checkout as checkout_module
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.fulfilment.routing_model import haversine_km
from souk.inventory.tables import reservations
from souk.payments.tables import PaymentRow
from tests.fulfilment_factories import ADDRESS_PARIS, PLACES, FrenchShop, french_shop
from tests.support.statements import counting

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _cart(fr: FrenchShop, *lines: tuple[str, int], **body: Any) -> str:
    cart = fr.shop.cart("web", currency="EUR")
    for sku, quantity in lines:
        added = fr.shop.add(cart["id"], "web", sku, quantity)
        assert added.status_code in (200, 201), added.text
    patched = fr.shop.call(
        "PATCH", f"/v1/carts/{cart['id']}", "web", json={"email": "anne@example.com", **body}
    )
    assert patched.status_code == 200, patched.text
    return str(cart["id"])


def _pickup_at(store: str) -> dict[str, Any]:
    return {"fulfillment": {"type": "pickup", "location": store}}


def _stock(fr: FrenchShop, sku: str) -> dict[str, dict[str, int]]:
    rows = fr.admin.get(f"/v1/inventory/{sku}").json()["locations"]
    return {
        r["location"]: {k: r[k] for k in ("on_hand", "reserved", "allocated", "inbound")}
        for r in rows
    }


def _events(db: Database, name: str) -> list[dict[str, Any]]:
    with db.transaction(write=False) as session:
        return [
            e.payload for e in session.scalars(select(OutboxEvent).where(OutboxEvent.name == name))
        ]


def _hours_to(store: str, source: str) -> int:
    """Settings' defaults: 24 h plus 4 h per 100 km, rounded up to the hour."""
    _, _, lat, lon = PLACES[store]
    _, _, slat, slon = PLACES[source]
    km = float(haversine_km(lat, lon, [slat], [slon])[0])  # type: ignore[arg-type]
    return math.ceil(24 + 4 * km / 100)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_delivery_checkout_answers_with_its_fulfilment_orders(
    fr: FrenchShop, db: Database
) -> None:
    # Given two tees (the Paris store has two) and a mug (only Lyon has it) for Paris
    cart_id = _cart(
        fr,
        ("TEE-M", 2),
        ("MUG", 1),
        shipping_address=ADDRESS_PARIS,
        fulfillment={"type": "delivery"},
    )
    # When the shopper checks out
    placed = fr.shop.checkout(cart_id, "web")
    # Then the 201 already carries the fulfilment orders, with their lines and locations
    assert placed.status_code == 201, placed.text
    order = placed.json()
    fos = order["fulfillment_orders"]
    assert sorted((fo["location"], fo["type"], fo["status"]) for fo in fos) == [
        ("store-lyon", "ship", "open"),
        ("store-paris", "ship", "open"),
    ]
    by_location = {fo["location"]: fo for fo in fos}
    assert [(x["sku"], x["quantity"]) for x in by_location["store-paris"]["lines"]] == [
        ("TEE-M", 2)
    ]
    assert [(x["sku"], x["quantity"]) for x in by_location["store-lyon"]["lines"]] == [("MUG", 1)]
    assert all(x["allocation_id"] for fo in fos for x in fo["lines"])
    # and a read right after shows the very same order
    again = fr.admin.get(f"/v1/orders/{order['id']}")
    assert again.status_code == 200
    assert again.json() == order
    # and the stock says the same: allocated where the fulfilment orders are
    tees, mugs = _stock(fr, "TEE-M"), _stock(fr, "MUG")
    assert (tees["store-paris"]["allocated"], tees["wh-marseille"]["allocated"]) == (2, 0)
    assert (mugs["store-lyon"]["allocated"], mugs["store-lyon"]["reserved"]) == (1, 0)
    assert tees["store-paris"]["reserved"] == tees["wh-marseille"]["reserved"] == 0
    # When the dispatcher later delivers `order.placed`, the safety net finds it routed
    fr.dispatch()
    assert fr.admin.get(f"/v1/orders/{order['id']}").json() == order
    routed = _events(db, "order.routed")
    assert [e["order_id"] for e in routed] == [order["id"]]
    assert sorted(routed[0]["fulfillment_orders"]) == sorted(fo["id"] for fo in fos)


def test_an_imported_order_answers_with_its_fulfilment_orders(fr: FrenchShop) -> None:
    body = {
        "channel": "web",
        "external_id": "MKT-1",
        "currency": "EUR",
        "customer": {"email": "buyer@example.com"},
        "shipping_address": ADDRESS_PARIS,
        "lines": [{"sku": "MUG", "quantity": 2, "unit_price": 1200}],
        "paid": True,
    }
    imported = fr.admin.post("/v1/orders/import", json=body)
    assert imported.status_code == 201, imported.text
    (fo,) = imported.json()["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("store-lyon", "ship")
    assert [(x["sku"], x["quantity"]) for x in fo["lines"]] == [("MUG", 2)]
    assert fr.admin.get(f"/v1/orders/{imported.json()['id']}").json() == imported.json()


def test_cart_lines_say_whether_a_pickup_is_ready_now_or_by_when(fr: FrenchShop) -> None:
    # Given a cart with a mug (Lyon has three) and a tee (Lyon has none, Marseille ten)
    cart_id = _cart(fr, ("MUG", 1))
    # When the shopper chooses pickup in Lyon
    before = datetime.now().astimezone()
    chosen = fr.shop.call("PATCH", f"/v1/carts/{cart_id}", "web", json=_pickup_at("store-lyon"))
    assert chosen.status_code == 200, chosen.text
    (mug,) = chosen.json()["lines"]
    assert mug["pickup"] == {"available_now": True, "estimated_ready_at": None}
    # and adds the tee: the answer says it is ready later, once Marseille has sent it
    added = fr.shop.add(cart_id, "web", "TEE-M", 1)
    after = datetime.now().astimezone()
    assert added.status_code == 201, added.text
    lines = {x["sku"]: x for x in added.json()["lines"]}
    tee = lines["TEE-M"]["pickup"]
    assert tee["available_now"] is False
    hours = timedelta(hours=_hours_to("store-lyon", "wh-marseille"))
    assert before + hours <= _at(tee["estimated_ready_at"]) <= after + hours
    assert lines["TEE-M"]["issues"] == [] and lines["TEE-M"]["available"] == 12
    # and ten caps, when the network has six, are neither ready now nor later
    fr.shop.add(cart_id, "web", "CAP", 10)
    shown = fr.shop.call("GET", f"/v1/carts/{cart_id}", "web").json()
    cap = next(x for x in shown["lines"] if x["sku"] == "CAP")
    assert cap["pickup"] == {"available_now": False, "estimated_ready_at": None}
    assert "insufficient-stock" in cap["issues"]
    # and a delivery cart says nothing about pickup
    delivery = _cart(fr, ("MUG", 1), shipping_address=ADDRESS_PARIS)
    (line,) = fr.shop.call("GET", f"/v1/carts/{delivery}", "web").json()["lines"]
    assert line["pickup"] is None


def test_pickup_at_a_store_without_the_item_is_sent_there_and_collected(
    fr: FrenchShop, db: Database
) -> None:
    # Given a mug Lyon has and a tee only Paris and Marseille have, for pickup in Lyon
    cart_id = _cart(fr, ("MUG", 1), ("TEE-M", 1), **_pickup_at("store-lyon"))
    # When the shopper checks out
    before = datetime.now().astimezone()
    placed = fr.shop.checkout(cart_id, "web")
    after = datetime.now().astimezone()
    # Then it is accepted, with one pickup fulfilment order at Lyon that is ready later
    assert placed.status_code == 201, placed.text
    order = placed.json()
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["type"], fo["status"]) == ("store-lyon", "pickup", "open")
    hours = timedelta(hours=_hours_to("store-lyon", "wh-marseille"))
    assert before + hours <= _at(fo["estimated_ready_at"]) <= after + hours
    lines = {x["sku"]: x for x in fo["lines"]}
    assert lines["MUG"]["allocation_id"] and lines["MUG"]["incoming_transfer"] is None
    incoming = lines["TEE-M"]["incoming_transfer"]
    assert (incoming["from"], incoming["status"]) == ("wh-marseille", "requested")
    assert fr.admin.get(f"/v1/orders/{order['id']}").json() == order
    # and the transfer to the store was requested, its unit committed at Marseille
    transfer = fr.admin.get(f"/v1/inventory/transfers/{incoming['id']}")
    assert transfer.status_code == 200
    assert {k: transfer.json()[k] for k in ("sku", "from", "to", "quantity", "status")} == {
        "sku": "TEE-M",
        "from": "wh-marseille",
        "to": "store-lyon",
        "quantity": 1,
        "status": "requested",
    }
    assert transfer.json()["reference"] == order["id"]
    assert _stock(fr, "TEE-M")["wh-marseille"] == {
        "on_hand": 10, "reserved": 0, "allocated": 1, "inbound": 0,
    }  # fmt: skip
    # When Marseille ships it and Lyon receives it
    lyon = fr.pos_keys["store-lyon"]
    fr.fo(fo["id"], "accept", key=lyon)
    for step in ("ship", "receive"):
        moved = fr.admin.post(f"/v1/inventory/transfers/{incoming['id']}/{step}")
        assert moved.status_code == 200, moved.text
    # Then Lyon makes the order ready and the shopper collects it with the pickup code
    ready = fr.fo(fo["id"], "ready", key=lyon)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    collected = fr.fo(fo["id"], "collect", {"pickup_code": ready.json()["pickup_code"]}, key=lyon)
    assert collected.status_code == 200, collected.text
    assert collected.json()["status"] == "collected"
    assert fr.admin.get(f"/v1/orders/{order['id']}").json()["status"] == "fulfilled"
    stock = _stock(fr, "TEE-M")
    assert stock["wh-marseille"] == {"on_hand": 9, "reserved": 0, "allocated": 0, "inbound": 0}
    assert stock["store-lyon"] == {"on_hand": 0, "reserved": 0, "allocated": 0, "inbound": 0}
    assert _stock(fr, "MUG")["store-lyon"]["on_hand"] == 2


def test_a_pickup_nobody_can_supply_is_409_listing_the_short_lines_and_holds_nothing(
    fr: FrenchShop, db: Database
) -> None:
    # Given ten caps for pickup in Lyon, when Paris and Marseille have six between them
    cart_id = _cart(fr, ("MUG", 1), ("CAP", 10), **_pickup_at("store-lyon"))
    before = {sku: _stock(fr, sku) for sku in ("MUG", "CAP")}
    # When the shopper checks out
    refused = fr.shop.checkout(cart_id, "web")
    # Then it is refused, naming the cap only, and nothing is held, charged or ordered
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["type"] == PROBLEM + "out-of-stock"
    assert body["lines"] == [
        {"sku": "CAP", "location": "store-lyon", "requested": 10, "available": 6}
    ]
    assert {sku: _stock(fr, sku) for sku in ("MUG", "CAP")} == before
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(reservations)) == 0
        assert session.scalar(select(func.count()).select_from(PaymentRow)) == 0
    cart = fr.shop.call("GET", f"/v1/carts/{cart_id}", "web").json()
    assert (cart["status"], cart["order_id"]) == ("active", None)
    assert fr.admin.get("/v1/orders").json()["data"] == []


def test_when_routing_at_placement_fails_the_order_stands_and_the_dispatcher_routes_it(
    fr: FrenchShop, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given routing that fails as the order is placed (a lost connection, say)
    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("routing is down")

    monkeypatch.setattr(checkout_module, "route_now", broken)
    cart_id = _cart(fr, ("MUG", 1), shipping_address=ADDRESS_PARIS)
    # When the shopper checks out, the order is placed and paid all the same
    placed = fr.shop.checkout(cart_id, "web")
    assert placed.status_code == 201, placed.text
    assert placed.json()["fulfillment_orders"] == []
    assert [p["status"] for p in placed.json()["payments"]] == ["authorized"]
    # Then the dispatcher's `order.placed` handler routes it, once
    fr.dispatch()
    order = fr.admin.get(f"/v1/orders/{placed.json()['id']}").json()
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("store-lyon", "ship")
    assert [e["order_id"] for e in _events(db, "order.routed")] == [order["id"]]


def test_routing_that_rolls_back_after_routing_the_order_leaves_it_to_the_dispatcher(
    fr: FrenchShop, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given routing's transaction that fails after the order was routed in it (the answer
    # cannot be built, say), so that it rolls back and commits nothing
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the answer cannot be built")

    monkeypatch.setattr(checkout_module, "order_read", broken)
    cart_id = _cart(fr, ("MUG", 1), shipping_address=ADDRESS_PARIS)
    # When the shopper checks out, the order is placed with no fulfilment order yet
    placed = fr.shop.checkout(cart_id, "web")
    assert placed.status_code == 201, placed.text
    assert placed.json()["fulfillment_orders"] == []
    # Then this process did not take the order for routed (the routing was rolled back):
    # the dispatcher's `order.placed` handler routes it, once
    fr.dispatch()
    order = fr.admin.get(f"/v1/orders/{placed.json()['id']}").json()
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("store-lyon", "ship")
    assert [e["order_id"] for e in _events(db, "order.routed")] == [order["id"]]


def test_an_order_routed_as_it_was_placed_costs_the_dispatcher_no_routing_read(
    fr: FrenchShop, db: Database
) -> None:
    # Given an order this process routed as it was placed
    cart_id = _cart(fr, ("MUG", 1), shipping_address=ADDRESS_PARIS)
    placed = fr.shop.checkout(cart_id, "web")
    assert placed.status_code == 201, placed.text
    assert len(placed.json()["fulfillment_orders"]) == 1
    # When the dispatcher hands its `order.placed` to routing's safety net
    with counting(db.engine) as count:
        fr.dispatch()
    # Then the safety net neither reads the routing nor routes again
    assert not [s for s in count.statements if "order_routings" in s]
    order = fr.admin.get(f"/v1/orders/{placed.json()['id']}").json()
    assert len(order["fulfillment_orders"]) == 1
    assert [e["order_id"] for e in _events(db, "order.routed")] == [order["id"]]
