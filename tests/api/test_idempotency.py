"""`Idempotency-Key` through HTTP on both back ends: a retry right after the answer is that
answer again, on the order path's five commands, and changes nothing twice; the same key with
another body is a 422; keys belong to the caller who can see the resource (a customer, an API
key, an anonymous shopper's cart), so shoppers never share one namespace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.api.idempotency import fingerprint
from souk.catalog.tables import ProductRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.orders.tables import OrderRow
from souk.payments.tables import PaymentRow
from tests.catalog_factories import product_body
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"
CHECKOUT = {"payment": {"provider": "test", "token": "tok_ok"}}


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def count(db: Database, table: Any) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def ready_cart(fr: FrenchShop, sku: str = "TEE-M", quantity: int = 1) -> str:
    cart = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(cart["id"], "web", sku, quantity).status_code == 201
    body = {
        "email": "anne@example.com",
        "shipping_address": ADDRESS_PARIS,
        "fulfillment": {"type": "delivery"},
    }
    assert fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body).status_code == 200
    return str(cart["id"])


def till(fr: FrenchShop) -> TestClient:
    client = TestClient(fr.admin.app)
    client.headers["Authorization"] = f"Bearer {fr.pos_keys['store-paris']}"
    return client


def stock(fr: FrenchShop, sku: str, location: str) -> dict[str, int]:
    for row in fr.admin.get(f"/v1/inventory/{sku}").json()["locations"]:
        if row["location"] == location:
            return {k: row[k] for k in ("on_hand", "reserved", "allocated")}
    return {}


def assert_replayed(first: Any, again: Any, status: int = 201) -> None:
    assert first.status_code == again.status_code == status, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_a_checkout_retried_right_after_its_answer_is_that_order_again(
    fr: FrenchShop, db: Database
) -> None:
    # Given a ready cart, checked out with a key
    cart_id = ready_cart(fr, quantity=2)
    key = {"Idempotency-Key": "buy-1"}
    first = fr.shop.call("POST", f"/v1/carts/{cart_id}/checkout", "web", json=CHECKOUT, **key)
    # When the client sends it again at once
    again = fr.shop.call("POST", f"/v1/carts/{cart_id}/checkout", "web", json=CHECKOUT, **key)
    # Then it gets the same order, and one order, one payment, two units allocated exist
    assert_replayed(first, again)
    assert first.json()["id"].startswith("ord_")
    assert (count(db, OrderRow), count(db, PaymentRow)) == (1, 1)
    allocated = sum(stock(fr, "TEE-M", loc)["allocated"] for loc in ("store-paris", "wh-marseille"))
    assert allocated == 2


def test_a_till_sale_retried_with_its_key_is_recorded_once(fr: FrenchShop, db: Database) -> None:
    sale = {
        "client_txn_id": "till1-0042",
        "occurred_at": "2026-11-22T10:15:00+01:00",
        "lines": [{"sku": "CAP", "quantity": 1}],
        "payments": [{"method": "card", "amount": 1500}],
    }
    client = till(fr)
    first = client.post("/v1/pos/sales", json=sale, headers={"Idempotency-Key": "sale-42"})
    again = client.post("/v1/pos/sales", json=sale, headers={"Idempotency-Key": "sale-42"})
    assert_replayed(first, again)
    assert count(db, OrderRow) == 1
    assert stock(fr, "CAP", "store-paris")["on_hand"] == 0


def test_a_reservation_retried_with_its_key_holds_once(fr: FrenchShop) -> None:
    body = {
        "channel": "web",
        "lines": [{"sku": "TEE-M", "quantity": 3, "location": "wh-marseille"}],
        "expires_in_s": 600,
    }
    headers = {"Idempotency-Key": "hold-1"}
    first = fr.admin.post("/v1/inventory/reservations", json=body, headers=headers)
    again = fr.admin.post("/v1/inventory/reservations", json=body, headers=headers)
    assert_replayed(first, again)
    assert stock(fr, "TEE-M", "wh-marseille") == {"on_hand": 10, "reserved": 3, "allocated": 0}


def test_a_movement_retried_with_its_key_moves_stock_once(fr: FrenchShop) -> None:
    body = {
        "sku": "MUG",
        "location": "store-lyon",
        "type": "receipt",
        "quantity": 4,
        "reference": "asn-9",
    }
    before = len(fr.admin.get("/v1/inventory/MUG/movements").json()["data"])
    headers = {"Idempotency-Key": "asn-9"}
    first = fr.admin.post("/v1/inventory/movements", json=body, headers=headers)
    again = fr.admin.post("/v1/inventory/movements", json=body, headers=headers)
    assert_replayed(first, again)
    assert first.json()["on_hand_after"] == 7
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 7
    assert len(fr.admin.get("/v1/inventory/MUG/movements").json()["data"]) == before + 1


def test_a_product_create_retried_with_its_key_creates_once(fr: FrenchShop, db: Database) -> None:
    before = count(db, ProductRow)
    body = product_body("scarf", ("SCARF-1",))
    first = fr.admin.post("/v1/products", json=body, headers={"Idempotency-Key": "p-scarf"})
    again = fr.admin.post("/v1/products", json=body, headers={"Idempotency-Key": "p-scarf"})
    assert_replayed(first, again)
    assert first.json()["handle"] == "scarf"
    assert count(db, ProductRow) == before + 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(fr: FrenchShop) -> None:
    body = {"sku": "MUG", "location": "store-lyon", "type": "receipt", "quantity": 4}
    headers = {"Idempotency-Key": "asn-10"}
    assert fr.admin.post("/v1/inventory/movements", json=body, headers=headers).status_code == 201
    other = fr.admin.post("/v1/inventory/movements", json={**body, "quantity": 40}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 7


def test_the_same_body_in_another_key_order_is_the_same_request() -> None:
    one = fingerprint("POST", "/v1/x", b"", b'{"a": 1, "b": [1, 2]}')
    assert one == fingerprint("POST", "/v1/x", b"", b'{"b":[1,2],"a":1}')
    assert one != fingerprint("POST", "/v1/x", b"", b'{"a": 1, "b": [2, 1]}')


def test_a_body_nested_past_the_parser_still_gets_a_fingerprint() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert len(fingerprint("POST", "/v1/x", b"", deep)) == 64


def test_two_anonymous_shoppers_with_the_same_key_on_their_own_carts_both_buy(
    fr: FrenchShop, db: Database
) -> None:
    # Given two guests of one channel, each with a ready cart, who chose the same key
    carts = [ready_cart(fr), ready_cart(fr)]
    # When both check out with it
    answers = [
        fr.shop.call(
            "POST",
            f"/v1/carts/{c}/checkout",
            "web",
            json=CHECKOUT,
            **{"Idempotency-Key": "checkout"},
        )
        for c in carts
    ]
    # Then each gets an order of their own: keys are scoped to the cart, not the channel
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert not any("idempotent-replayed" in a.headers for a in answers)
    assert count(db, OrderRow) == 2


def test_an_anonymous_call_with_no_cart_in_its_path_is_never_answered_from_another(
    fr: FrenchShop,
) -> None:
    # Two guests creating a cart with the same key must not get each other's cart (its id is
    # its capability): with no caller to scope it to, the key is not remembered.
    made = [
        fr.shop.call(
            "POST", "/v1/carts", "web", json={"currency": "EUR"}, **{"Idempotency-Key": "new-cart"}
        )
        for _ in range(2)
    ]
    assert [m.status_code for m in made] == [201, 201]
    assert made[0].json()["id"] != made[1].json()["id"]


def test_a_customer_keys_are_theirs_whichever_token_they_sign_in_with(fr: FrenchShop) -> None:
    # Given a signed-in customer with a cart, and a second sign-in on another device
    registered = fr.shop.register("web", "lea@example.com")
    first_token = registered["token"]
    # Another device's sign-in: a token of its own (issued a minute apart, so that it
    # differs even when both sign-ins fall in the same second).
    signer = fr.admin.app.state.token_signer  # type: ignore[attr-defined]
    earlier = utcnow() - timedelta(minutes=1)
    second_token = signer.issue(registered["customer"]["id"], now=earlier).token
    assert second_token != first_token
    cart = fr.shop.cart("web", token=first_token, currency="EUR")
    path = f"/v1/carts/{cart['id']}/lines"
    line = {"sku": "TEE-M", "quantity": 1}
    # When a line is added with a key from one device and retried from the other
    first = fr.shop.call(
        "POST", path, "web", token=first_token, json=line, **{"Idempotency-Key": "add-tee"}
    )
    again = fr.shop.call(
        "POST", path, "web", token=second_token, json=line, **{"Idempotency-Key": "add-tee"}
    )
    # Then the retry is the first answer, and the cart holds one tee
    assert_replayed(first, again)
    assert [(x["sku"], x["quantity"]) for x in again.json()["lines"]] == [("TEE-M", 1)]


def test_two_api_keys_never_share_a_namespace(fr: FrenchShop) -> None:
    body = {"sku": "MUG", "location": "store-lyon", "type": "receipt", "quantity": 1}
    other = fr.admin.post("/v1/api-keys", json={"name": "ops", "role": "admin"}).json()["key"]
    first = fr.admin.post("/v1/inventory/movements", json=body, headers={"Idempotency-Key": "k"})
    second = fr.admin.post(
        "/v1/inventory/movements",
        json=body,
        headers={"Idempotency-Key": "k", "Authorization": f"Bearer {other}"},
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 5
