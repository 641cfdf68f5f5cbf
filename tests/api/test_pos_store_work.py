"""Hand-overs and returns as till transactions (POST /v1/pos/sync), on SQLite and
PostgreSQL: each taken once per client_txn_id however often it is sent, a return created,
received and refunded together, a refusal recorded as nothing (but a wrong pickup code
counted), another store's till refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.fulfilment.tables import FulfillmentOrderRow
from souk.returns.tables import RefundRow, ReturnRow
from tests.fulfilment_factories import FrenchShop, french_shop

RECENTLY = (utcnow() - timedelta(hours=3)).isoformat()


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def ready_pickup(fr: FrenchShop) -> tuple[dict[str, Any], str, str]:
    """A web order for pickup in Paris, made ready: the order, its fulfilment order, the code."""
    order = fr.web_order(("TEE-M", 1), pickup="store-paris")
    (fo,) = order["fulfillment_orders"]
    assert fr.fo(fo["id"], "accept").status_code == 200
    ready = fr.fo(fo["id"], "ready")
    assert ready.status_code == 200, ready.text
    return order, fo["id"], ready.json()["pickup_code"]


def pickup(txn: str, fo_id: str, code: str) -> dict[str, Any]:
    return {"type": "pickup", "client_txn_id": txn, "occurred_at": RECENTLY,
            "fulfillment_order": fo_id, "pickup_code": code}  # fmt: skip


def giving_back(txn: str, order_id: str, to: str = "original") -> dict[str, Any]:
    return {
        "type": "return", "client_txn_id": txn, "occurred_at": RECENTLY, "order": order_id,
        "lines": [{"sku": "TEE-M", "quantity": 1, "reason": "wrong size",
                   "condition": "resellable"}],
        "refund_to": to,
    }  # fmt: skip


def _count(db: Database, table: Any) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_hand_over_and_a_return_sent_twice_take_effect_once(fr: FrenchShop, db: Database) -> None:
    order, fo_id, code = ready_pickup(fr)
    assert fr.on_hand("TEE-M", "store-paris") == 2
    till = fr.till()
    batch = {"transactions": [pickup("t-1", fo_id, code), giving_back("t-2", order["id"])]}

    first = till.post("/v1/pos/sync", json=batch)

    assert first.status_code == 200, first.text
    handed, returned = first.json()["results"]
    assert (handed["status"], handed["replayed"]) == (201, False)
    assert handed["fulfillment_order"]["status"] == "collected"
    assert handed["fulfillment_order"]["id"] == fo_id
    assert (returned["status"], returned["return"]["status"]) == (201, "refunded")
    assert returned["return"]["refunds"][0]["amount"] == {"amount": 2500, "currency": "EUR"}
    assert returned["return"]["lines"][0]["resellable"] == 1
    assert fr.on_hand("TEE-M", "store-paris") == 2  # one handed over, one back on the shelf

    # The answer was lost; the till sends the whole batch again, and once more by itself.
    again = till.post("/v1/pos/sync", json=batch).json()["results"]
    alone = till.post("/v1/pos/sync", json={"transactions": [giving_back("t-2", order["id"])]})

    assert [r["replayed"] for r in again] == [True, True]
    assert again[0]["fulfillment_order"] == handed["fulfillment_order"]
    assert again[1]["return"] == returned["return"]
    assert alone.json()["results"][0]["return"]["id"] == returned["return"]["id"]
    assert (_count(db, ReturnRow), _count(db, RefundRow)) == (1, 1)
    assert fr.on_hand("TEE-M", "store-paris") == 2
    after = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert after["status"] == "returned"
    assert sum(p["refunded"]["amount"] for p in after["payments"]) == 2500


def test_refused_hand_overs_record_nothing_but_wrong_codes_are_counted(
    fr: FrenchShop, db: Database
) -> None:
    order, fo_id, code = ready_pickup(fr)
    wrong = "000000" if code != "000000" else "111111"
    results = fr.till().post("/v1/pos/sync", json={"transactions": [
        pickup("t-9", fo_id, wrong),
        {"type": "pickup", "client_txn_id": "t-10", "occurred_at": RECENTLY},
        giving_back("t-11", order["id"]),  # nothing handed over yet: nothing to return
    ]}).json()["results"]  # fmt: skip

    assert [r["status"] for r in results] == [422, 422, 422]
    assert results[0]["problem"]["errors"] == [
        {"field": "body.pickup_code", "message": "does not match the code sent"}
    ]
    assert {e["field"] for e in results[1]["problem"]["errors"]} == {
        "transactions.1.fulfillment_order", "transactions.1.pickup_code",
    }  # fmt: skip
    assert "cannot be accepted" in results[2]["problem"]["detail"]
    assert _count(db, ReturnRow) == 0
    with db.transaction(write=False) as session:
        fo = session.get(FulfillmentOrderRow, fo_id)
        assert fo is not None and (fo.status, fo.pickup_failures) == ("ready", 1)
    # A refused transaction is not recorded: fixed, it is taken under the same id.
    fixed = fr.till().post("/v1/pos/sync", json={"transactions": [pickup("t-9", fo_id, code)]})
    assert fixed.json()["results"][0]["fulfillment_order"]["status"] == "collected"


def test_another_stores_till_may_not_hand_over_or_take_back_here(fr: FrenchShop) -> None:
    order, fo_id, code = ready_pickup(fr)
    lyon = fr.till("store-lyon")
    results = lyon.post("/v1/pos/sync", json={"transactions": [
        pickup("l-1", fo_id, code),
    ]}).json()["results"]  # fmt: skip
    assert results[0]["status"] == 403
    assert fr.admin.get(f"/v1/orders/{order['id']}").json()["fulfillment_orders"][0][
        "status"
    ] == "ready"  # fmt: skip


def test_a_store_credit_code_is_shown_once_and_not_kept_for_replays(fr: FrenchShop) -> None:
    order, fo_id, code = ready_pickup(fr)
    till = fr.till()
    till.post("/v1/pos/sync", json={"transactions": [pickup("s-1", fo_id, code)]})
    batch = {"transactions": [giving_back("s-2", order["id"], to="store_credit")]}

    first = till.post("/v1/pos/sync", json=batch).json()["results"][0]
    replay = till.post("/v1/pos/sync", json=batch).json()["results"][0]

    (refund,) = first["return"]["refunds"]
    assert refund["to"] == "store_credit" and len(refund["store_credit_code"]) >= 8
    assert replay["replayed"] is True
    assert replay["return"]["refunds"][0]["store_credit_code"] is None
    assert replay["return"]["refunds"][0]["store_credit_id"] == refund["store_credit_id"]
