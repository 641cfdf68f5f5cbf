"""What a till learns about a customer it names only by id or loyalty card: that the
customer exists (the sale joins their history), not their email or anything else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _sale(txn: str, customer: dict[str, str]) -> dict[str, Any]:
    return {
        "client_txn_id": txn,
        "occurred_at": utcnow().isoformat(),
        "lines": [{"sku": "TEE-M", "quantity": 1}],
        "customer": customer,
        "payments": [{"method": "card", "amount": 2500}],
    }


@pytest.mark.parametrize("by", ["customer_id", "loyalty_card"])
def test_a_till_naming_a_customer_by_id_or_card_never_learns_their_email(
    fr: FrenchShop, by: str
) -> None:
    # Given a customer registered elsewhere, with an email and a card
    anne = fr.admin.post(
        "/v1/customers",
        json={"email": "anne.secret@example.com", "name": "Anne Dupont", "loyalty_card": "LC-7"},
    ).json()
    till = TestClient(
        fr.admin.app, headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"}
    )
    who = {"customer_id": anne["id"]} if by == "customer_id" else {"loyalty_card": "LC-7"}
    # When the till records a sale for her, at once and through an offline sync
    sold = till.post("/v1/pos/sales", json=_sale("t-1", who))
    synced = till.post("/v1/pos/sync", json={"transactions": [_sale("t-2", who)]})
    # Then the sale is hers, but no answer the till gets carries her email or name
    assert sold.status_code == 201, sold.text
    assert sold.json()["customer"] == anne["id"]
    assert sold.json()["email"] is None
    assert synced.json()["results"][0]["status"] == 201
    read_back = till.get(f"/v1/orders/{sold.json()['id']}")
    listed = till.get("/v1/orders")
    for response in (sold, synced, read_back, listed):
        assert "anne.secret" not in response.text
        assert "Dupont" not in response.text
    # And the sale is in her history all the same (the admin sees both orders)
    mine = fr.admin.get(f"/v1/orders?customer={anne['id']}").json()["data"]
    assert len(mine) == 2


def test_a_till_that_types_the_email_gets_it_back_on_the_order(fr: FrenchShop) -> None:
    anne = fr.admin.post("/v1/customers", json={"email": "anne@example.com"}).json()
    till = TestClient(
        fr.admin.app, headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"}
    )
    sold = till.post("/v1/pos/sales", json=_sale("t-1", {"email": "Anne@Example.com"}))
    assert sold.status_code == 201, sold.text
    assert (sold.json()["customer"], sold.json()["email"]) == (anne["id"], "anne@example.com")
    guest = till.post("/v1/pos/sales", json=_sale("t-2", {"email": "guest@example.com"}))
    assert (guest.json()["customer"], guest.json()["email"]) == (None, "guest@example.com")
