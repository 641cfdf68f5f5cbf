"""Gift cards and loyalty points at the till, through HTTP on both back ends: debited in the
sale's own transaction (a refused debit records nothing of the sale), points only for the
member whose card the till names, a replayed transaction debits once, an offline sale whose
gift card no longer covers it is refused in the sync results and the rest of the batch
goes on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from tests.api.test_loyalty import PROGRAM
from tests.api.test_pos import RECENTLY, _orders, _till
from tests.fulfilment_factories import FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    return shop


def _card(fr: FrenchShop, amount: int) -> dict[str, Any]:
    issued = fr.admin.post("/v1/gift-cards", json={"currency": "EUR", "amount": amount})
    assert issued.status_code == 201, issued.text
    return dict(issued.json())


def _member(fr: FrenchShop, points: int) -> str:
    created = fr.shop.register("web", "anne@example.com", name="Anne")
    customer: str = created["customer"]["id"]
    assert fr.admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LC-1001"}).is_success
    given = fr.admin.post(
        "/v1/loyalty/adjustments", json={"customer": customer, "points": points, "reason": "x"}
    )
    assert given.status_code == 200, given.text
    return customer


def _sale(txn: str, payments: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    # A tee, 25.00 tax included.
    return {"client_txn_id": txn, "occurred_at": RECENTLY,
            "lines": [{"sku": "TEE-M", "quantity": 1}], "payments": payments, **more}  # fmt: skip


def _balance(fr: FrenchShop, card: dict[str, Any]) -> int:
    return int(fr.admin.get(f"/v1/gift-cards/{card['id']}").json()["balance"]["amount"])


def _points(fr: FrenchShop, customer: str) -> int:
    return int(fr.admin.get(f"/v1/customers/{customer}/loyalty").json()["balance"])


def test_a_till_sale_paid_by_gift_card_points_and_cash(fr: FrenchShop, db: Database) -> None:
    customer = _member(fr, 700)
    card = _card(fr, 1000)
    till = _till(fr)
    payments = [
        {"method": "gift_card", "code": card["code"], "amount": 1000},
        {"method": "loyalty_points", "amount": 700},
        {"method": "cash", "amount": 800},
    ]
    sold = till.post(
        "/v1/pos/sales", json=_sale("t-1", payments, customer={"loyalty_card": "LC-1001"})
    )
    assert sold.status_code == 201, sold.text
    assert sorted((p["method"], p["status"], p["amount"]["amount"])
                  for p in sold.json()["payments"]) == [
        ("cash", "captured", 800), ("gift_card", "captured", 1000),
        ("loyalty_points", "captured", 700),
    ]  # fmt: skip
    assert (_balance(fr, card), _points(fr, customer)) == (0, 0)
    # A retry of the same transaction is answered from the first: nothing debited twice.
    again = till.post(
        "/v1/pos/sales", json=_sale("t-1", payments, customer={"loyalty_card": "LC-1001"})
    )
    assert again.status_code in (200, 201) and again.json()["id"] == sold.json()["id"]
    assert (_balance(fr, card), _points(fr, customer), _orders(db)) == (0, 0, 1)


def test_refused_tenders_record_nothing_of_the_sale(fr: FrenchShop, db: Database) -> None:
    customer = _member(fr, 100)
    card = _card(fr, 1000)
    till = _till(fr)
    on_hand = fr.on_hand("TEE-M", "store-paris")
    short = till.post("/v1/pos/sales", json=_sale("t-2", [
        {"method": "gift_card", "code": card["code"], "amount": 1500},
        {"method": "cash", "amount": 1000},
    ]))  # fmt: skip
    assert short.status_code == 409, short.text
    assert short.json()["type"] == PROBLEM + "gift-card-declined"
    # Points need the member's card at the till: an email names them, it does not consent.
    by_email = till.post("/v1/pos/sales", json=_sale("t-3", [
        {"method": "loyalty_points", "amount": 100}, {"method": "cash", "amount": 2400},
    ], customer={"email": "anne@example.com"}))  # fmt: skip
    assert by_email.status_code == 422, by_email.text
    assert by_email.json()["errors"][0]["field"] == "customer.loyalty_card"
    too_many = till.post("/v1/pos/sales", json=_sale("t-4", [
        {"method": "loyalty_points", "amount": 101}, {"method": "cash", "amount": 2399},
    ], customer={"loyalty_card": "LC-1001"}))  # fmt: skip
    assert too_many.status_code == 409
    assert too_many.json()["type"] == PROBLEM + "not-enough-points"
    unknown = till.post("/v1/pos/sales", json=_sale("t-5", [
        {"method": "gift_card", "code": "AAAA-BBBB-CCCC-DDDD", "amount": 2500},
    ]))  # fmt: skip
    assert unknown.status_code == 404
    no_code = till.post(
        "/v1/pos/sales", json=_sale("t-6", [{"method": "gift_card", "amount": 2500}])
    )
    assert no_code.status_code == 422
    assert (_balance(fr, card), _points(fr, customer), _orders(db)) == (1000, 100, 0)
    assert fr.on_hand("TEE-M", "store-paris") == on_hand


def test_an_offline_sale_the_card_no_longer_covers_is_refused_alone(
    fr: FrenchShop, db: Database
) -> None:
    card = _card(fr, 3000)
    till = _till(fr)
    batch = {"transactions": [
        _sale("off-1", [{"method": "gift_card", "code": card["code"], "amount": 2500}]),
        _sale("off-2", [{"method": "gift_card", "code": card["code"], "amount": 2500}]),
        _sale("off-3", [{"method": "card", "amount": 2500}]),
    ]}  # fmt: skip
    synced = till.post("/v1/pos/sync", json=batch)
    assert synced.status_code == 200, synced.text
    results = synced.json()["results"]
    assert [(r["client_txn_id"], r["status"]) for r in results] == [
        ("off-1", 201), ("off-2", 409), ("off-3", 201),
    ]  # fmt: skip
    assert results[1]["problem"]["type"] == PROBLEM + "gift-card-declined"
    assert (_balance(fr, card), _orders(db)) == (500, 2)
    # The store settles it another way and sends it again under a new id.
    settled = till.post("/v1/pos/sync", json={"transactions": [
        _sale("off-2b", [{"method": "gift_card", "code": card["code"], "amount": 500},
                         {"method": "cash", "amount": 2000}]),
    ]})  # fmt: skip
    assert settled.json()["results"][0]["status"] == 201
    assert (_balance(fr, card), _orders(db)) == (0, 3)
