"""The point of sale through HTTP on both back ends: sales, offline sync replayed, customer
history, endless aisle (routed as it is sold), store-bound keys, and tills racing online
click & collect checkouts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.orders.tables import OrderRow
from tests.fulfilment_factories import FrenchShop, french_shop

# A till sale must be recent (souk.timestamps): two days ago, in Paris time.
RECENTLY = (utcnow() - timedelta(days=2)).astimezone(timezone(timedelta(hours=1))).isoformat()


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _till(fr: FrenchShop, store: str = "store-paris") -> TestClient:
    till = TestClient(fr.admin.app)
    till.headers["Authorization"] = f"Bearer {fr.pos_keys[store]}"
    return till


def _sale(txn: str, *lines: tuple[str, int], paid: int, **more: Any) -> dict[str, Any]:
    return {
        "client_txn_id": txn,
        "occurred_at": RECENTLY,
        "lines": [{"sku": s, "quantity": q} for s, q in lines],
        "payments": [{"method": "card", "amount": paid}] if paid else [],
        **more,
    }


def _orders(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)


def test_a_till_sale_takes_stock_at_once_and_joins_the_customer_history(fr: FrenchShop) -> None:
    # Given a customer with a loyalty card
    customer = fr.admin.post(
        "/v1/customers", json={"email": "anne@example.com", "loyalty_card": "LC-1001"}
    )
    assert customer.status_code == 201, customer.text
    till = _till(fr)
    # When the Paris till sells her a tee and a cap, identified by her card
    sale = _sale("till1-0001", ("TEE-M", 1), ("CAP", 1), paid=4000,
                 customer={"loyalty_card": "LC-1001"})  # fmt: skip
    sold = till.post("/v1/pos/sales", json=sale)
    # Then the order is already fulfilled at the store, paid, and hers
    assert sold.status_code == 201, sold.text
    order = sold.json()
    assert (order["status"], order["source"], order["channel"]) == ("fulfilled", "pos", "pos-paris")
    assert order["customer"] == customer.json()["id"]
    assert order["totals"]["total"]["amount"] == 4000
    assert [(p["method"], p["captured"]["amount"]) for p in order["payments"]] == [("card", 4000)]
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["status"]) == ("store-paris", "collected")
    assert (fr.on_hand("TEE-M", "store-paris"), fr.on_hand("CAP", "store-paris")) == (1, 0)
    history = fr.admin.get("/v1/orders", params={"customer": customer.json()["id"]}).json()
    assert [o["id"] for o in history["data"]] == [order["id"]]
    # And the same transaction sent again is answered from the first, changing nothing
    again = till.post("/v1/pos/sales", json=sale)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == order["id"]
    assert fr.on_hand("TEE-M", "store-paris") == 1
    # But the same id with other content is refused
    other = till.post(
        "/v1/pos/sales",
        json={
            **sale,
            "lines": [{"sku": "CAP", "quantity": 1}],
            "payments": [{"method": "cash", "amount": 1500}],
        },
    )
    assert other.status_code == 409
    assert "was already used for another transaction" in other.json()["detail"]


def test_payments_must_match_and_unknown_skus_are_refused(fr: FrenchShop, db: Database) -> None:
    till = _till(fr)
    short = till.post("/v1/pos/sales", json=_sale("t-short", ("TEE-M", 1), paid=100))
    assert short.status_code == 422
    assert short.json()["errors"] == [
        {"field": "payments", "message": "payments add up to 100 EUR but the sale's total is "
         "2500 EUR"}
    ]  # fmt: skip
    unknown = till.post("/v1/pos/sales", json=_sale("t-x", ("NOPE", 1), paid=100))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "lines.0.sku"
    assert _orders(db) == 0
    # Fixed and sent again under the same id, it is accepted: refusals are not remembered.
    fixed = till.post("/v1/pos/sales", json=_sale("t-short", ("TEE-M", 1), paid=2500))
    assert fixed.status_code == 201


def test_an_offline_batch_replayed_three_times_takes_effect_once(
    fr: FrenchShop, db: Database
) -> None:
    till = _till(fr)
    batch = {
        "transactions": [
            _sale("off-1", ("TEE-M", 1), paid=2500),
            {"client_txn_id": "off-2", "lines": "not a list"},
            # More caps than the books say the store has: sold all the same.
            _sale("off-3", ("CAP", 3), paid=4500, payments=[{"method": "cash", "amount": 4500}]),
            _sale("off-1", ("TEE-M", 1), paid=2500),
            "garbage",
        ]
    }
    answers = [till.post("/v1/pos/sync", json=batch) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    first = answers[0].json()["results"]
    assert [(r["index"], r["client_txn_id"], r["status"], r["replayed"]) for r in first] == [
        (0, "off-1", 201, False),
        (1, "off-2", 422, False),
        (2, "off-3", 201, False),
        (3, "off-1", 201, True),
        (4, None, 422, False),
    ]
    assert {e["field"] for e in first[1]["problem"]["errors"]} == {
        "transactions.1.occurred_at", "transactions.1.lines",
    }  # fmt: skip
    assert first[3]["order"] == first[0]["order"]
    for later in answers[1:]:
        results = later.json()["results"]
        assert [r["status"] for r in results] == [201, 422, 201, 201, 422]
        assert [r["replayed"] for r in results] == [True, False, True, True, False]
        assert results[0]["order"] == first[0]["order"]
        assert results[2]["order"] == first[2]["order"]
    # Two sales, once each; the caps went below zero and the store is asked for a count
    assert _orders(db) == 2
    assert (fr.on_hand("TEE-M", "store-paris"), fr.on_hand("CAP", "store-paris")) == (1, -2)
    assert len(first[2]["discrepancies"]) == 1
    counts = fr.admin.get("/v1/stock-discrepancies", params={"location": "store-paris"}).json()
    assert [(d["sku"], d["kind"], d["quantity"]) for d in counts] == [
        ("CAP", "negative_on_hand", 3)
    ]


def test_a_pos_key_acts_only_for_its_own_store(fr: FrenchShop) -> None:
    order = fr.web_order(("MUG", 1))
    (fo,) = order["fulfillment_orders"]
    assert fo["location"] == "store-lyon"
    paris = _till(fr)
    assert paris.get("/v1/fulfillment-orders", params={"location": "store-lyon"}).status_code == 403
    assert paris.get(f"/v1/fulfillment-orders/{fo['id']}").status_code == 403
    assert paris.post(f"/v1/fulfillment-orders/{fo['id']}/accept").status_code == 403
    assert paris.get("/v1/fulfillment-orders").json()["data"] == []
    lyon = _till(fr, "store-lyon")
    assert lyon.post(f"/v1/fulfillment-orders/{fo['id']}/accept").json()["status"] == "accepted"


def test_an_endless_aisle_sale_ships_from_elsewhere(fr: FrenchShop) -> None:
    till = _till(fr)
    # The Paris store sells a mug it does not have, shipped to the customer from Lyon
    sale = _sale(
        "aisle-1", ("MUG", 1), paid=1200,
        fulfillment={"type": "delivery", "shipping_address": {
            "name": "Anne", "line1": "1 rue de Rivoli", "city": "Paris", "country": "FR"}},
    )  # fmt: skip
    sold = till.post("/v1/pos/sales", json=sale)
    assert sold.status_code == 201, sold.text
    assert sold.json()["status"] == "placed"
    # routed as it was sold: the till's answer already says who ships it, and so does a
    # read right after (no dispatcher has run)
    (fo,) = sold.json()["fulfillment_orders"]
    assert (fo["location"], fo["type"], fo["status"]) == ("store-lyon", "ship", "open")
    assert [(x["sku"], x["quantity"]) for x in fo["lines"]] == [("MUG", 1)]
    order = fr.admin.get(f"/v1/orders/{sold.json()['id']}").json()
    assert order["fulfillment_orders"] == sold.json()["fulfillment_orders"]
    fr.fo(fo["id"], "accept")
    fr.fo(fo["id"], "ship", {"carrier": "dhl", "tracking_number": "AISLE"})
    after = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert after["status"] == "fulfilled"
    assert [p["captured"]["amount"] for p in after["payments"]] == [1200]


def test_tills_and_web_checkouts_race_for_the_last_units_of_a_store(
    fr: FrenchShop, db: Database
) -> None:
    # Given the Paris store's last cap, sold online for pickup there and at its till at once
    carts = []
    for _ in range(4):
        cart = fr.shop.cart("web", currency="EUR")
        assert fr.shop.add(cart["id"], "web", "CAP", 1).status_code in (200, 201)
        patched = fr.shop.call(
            "PATCH",
            f"/v1/carts/{cart['id']}",
            "web",
            json={
                "email": "a@example.com",
                "fulfillment": {"type": "pickup", "location": "store-paris"},
            },
        )
        assert patched.status_code == 200, patched.text
        carts.append(cart["id"])
    tills = 3
    barrier = threading.Barrier(len(carts) + tills)

    def online(cart_id: str) -> int:
        barrier.wait()
        return fr.shop.checkout(cart_id, "web").status_code

    def till(n: int) -> int:
        client = _till(fr)
        barrier.wait()
        return client.post(
            "/v1/pos/sales", json=_sale(f"race-{n}", ("CAP", 1), paid=1500)
        ).status_code

    with ThreadPoolExecutor(max_workers=len(carts) + tills) as pool:
        web = [pool.submit(online, c) for c in carts]
        pos = [pool.submit(till, n) for n in range(tills)]
        web_codes = sorted(f.result() for f in web)
        pos_codes = [f.result() for f in pos]
    # Then every till sale is recorded, and every online buyer gets the cap: the store's
    # own unit if it was still on the shelf, otherwise one sent from Marseille (the endless
    # aisle), and the store never promises online more than it had
    assert pos_codes == [201] * tills
    assert web_codes == [201] * len(carts)
    stock = {row["location"]: row for row in fr.admin.get("/v1/inventory/CAP").json()["locations"]}
    paris, marseille = stock["store-paris"], stock["wh-marseille"]
    assert paris["reserved"] == 0 and paris["allocated"] <= 1
    assert (marseille["on_hand"], marseille["reserved"]) == (5, 0)
    assert marseille["allocated"] == len(carts) - paris["allocated"]
    # on hand is exactly what physically left, and each oversold till sale asks for a count
    assert fr.on_hand("CAP", "store-paris") == 1 - tills
    counts = fr.admin.get("/v1/stock-discrepancies", params={"location": "store-paris"}).json()
    assert len(counts) >= tills - 1
    assert _orders(db) == tills + len(carts)
