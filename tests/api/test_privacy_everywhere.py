"""Erasure across every domain, through HTTP on both back ends: a person seeded as a
customer account with an address, a cart, a paid order (screened for fraud), loyalty
points, tracked events and a profile is erased by email; then every text and JSON column
of every table in the database is searched for their email, phone, name and street: zero
hits. Their order stays, with its totals, lines and the country it was taxed for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Text, select

from souk.db.engine import Database
from souk.db.tables_index import metadata
from tests.checkout_factories import Shop, tokyo_shop
from tests.integration.cdp.factories import send, write_key

EMAIL, NAME = "anne.secret@example.com", "Anne Secretname"
PHONE_TYPED, PHONE_E164 = "+33 6 12 34 56 78", "+33612345678"
STREET = "12 Hidden Lane"
PERSONAL = (EMAIL, NAME, PHONE_TYPED, PHONE_E164, STREET, "LOYAL-778899")
ADDRESS = {"name": NAME, "line1": STREET, "city": "Tokyo", "country": "JP", "phone": PHONE_TYPED}
PROGRAM = {
    "currency_rates": {"JPY": "1"},
    "point_values": {"JPY": "1"},
    "earn_rules": [],
    "tiers": [{"code": "member", "name": "Member", "threshold_points": 0, "window_days": 365}],
}


def _dispatch(shop: Shop) -> None:
    dispatcher = shop.admin.app.state.dispatcher  # type: ignore[attr-defined]
    while dispatcher.dispatch_pending():
        pass


def everything(db: Database) -> dict[str, list[str]]:
    """Every text and JSON value of every table, by table."""
    found: dict[str, list[str]] = {}
    with db.transaction(write=False) as session:
        for table in metadata().sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                found.setdefault(table.name, []).extend(
                    json.dumps(v, ensure_ascii=False, default=str) for v in row if v is not None
                )
    return found


def hits(db: Database) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for table, values in everything(db).items():
        for value in values:
            for needle in PERSONAL:
                if needle.lower() in value.lower():
                    result.setdefault(table, []).append(f"{needle} in {value[:120]}")
    return result


@pytest.fixture
def anne(admin: TestClient, db: Database) -> dict[str, Any]:
    shop = tokyo_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    registered = shop.register("web", EMAIL.upper(), name=NAME)
    token, customer = registered["token"], registered["customer"]["id"]
    patched = shop.call(
        "PATCH", "/v1/customers/me", "web", token=token, json={"phone": PHONE_TYPED}
    )
    assert patched.status_code == 200, patched.text
    card = admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LOYAL-778899"})
    assert card.status_code == 200, card.text
    address = shop.call("POST", "/v1/customers/me/addresses", "web", token=token, json=ADDRESS)
    assert address.status_code == 201, address.text
    cart = shop.cart("web", token=token)
    assert shop.add(cart["id"], "web", "SNK-42", token=token).status_code == 201
    where = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
    assert (
        shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=where).status_code
        == 200
    )
    body = {"payment": {"provider": "test", "token": "tok_ok"}, "risk": {"device_id": "dev-anne"}}
    order = shop.call("POST", f"/v1/carts/{cart['id']}/checkout", "web", token=token, json=body)
    assert order.status_code == 201, order.text
    # An abandoned second cart with her address, and a guest cart with her email
    second = shop.cart("web", email=EMAIL)
    shop.call("PATCH", f"/v1/carts/{second['id']}", "web", json={"shipping_address": ADDRESS})
    key = write_key(admin)
    tracker = TestClient(admin.app)
    calls = [
        ("/v1/track", {"anonymousId": "a-1", "event": "Product Viewed",
                       "properties": {"sku": "SNK-42", "note": f"for {NAME}"}}),
        ("/v1/identify", {"anonymousId": "a-1", "userId": customer, "traits": {
            "email": EMAIL, "phone": PHONE_TYPED, "name": NAME}}),
    ]  # fmt: skip
    for path, message in calls:
        assert send(tracker, path, message, key=key).status_code == 200
    _dispatch(shop)
    assert admin.get(f"/v1/orders/{order.json()['id']}/risk").status_code == 200
    return {"shop": shop, "customer": customer, "order": order.json()}


def test_after_erasure_no_table_holds_the_person(
    admin: TestClient, db: Database, anne: dict[str, Any]
) -> None:
    # Given the person is everywhere
    before = hits(db)
    for table in ("customers", "customer_addresses", "carts", "orders", "cdp_events",
                  "cdp_identities", "cdp_profiles", "loyalty_accounts"):  # fmt: skip
        assert table in before, (table, sorted(before))
    # When they ask to be forgotten
    erased = admin.post("/v1/privacy/requests", json={"type": "erase", "email": EMAIL})
    assert erased.status_code == 200, erased.text
    counts = erased.json()["erased"]
    assert counts["customers"] == 1 and counts["orders"] == 1 and counts["addresses"] == 1
    assert counts["carts"] >= 2
    # Then no text or JSON column of any table holds their email, phone, name or street
    assert hits(db) == {}
    # and the financial record stays, pseudonymous
    order = admin.get(f"/v1/orders/{anne['order']['id']}").json()
    assert order["totals"] == anne["order"]["totals"]
    assert [line["sku"] for line in order["lines"]] == ["SNK-42"]
    assert order["shipping_address"]["country"] == "JP"
    assert order["customer_id"] == anne["customer"] if "customer_id" in order else True
    # The account cannot be signed in with any more
    login = anne["shop"].call(
        "POST",
        "/v1/customers/login",
        "web",
        json={"email": EMAIL, "password": "correct horse battery"},
    )
    assert login.status_code in (401, 422)


def test_erasing_by_an_email_nobody_holds_is_refused(admin: TestClient, db: Database) -> None:
    tokyo_shop(admin, db)
    before = everything(db)
    missing = admin.post("/v1/privacy/requests", json={"type": "erase", "email": "nobody@x.org"})
    assert missing.status_code == 404
    after = everything(db)
    # The refused request is itself audited; nothing else changed
    assert len(after.pop("audit_log")) > len(before.pop("audit_log"))
    assert after == before


def test_an_erasure_leaves_other_people_alone(
    admin: TestClient, db: Database, anne: dict[str, Any]
) -> None:
    shop: Shop = anne["shop"]
    other = shop.register("web", "bob@example.com", name="Bob Other")
    before = admin.get(f"/v1/customers/{other['customer']['id']}").json()
    assert (
        admin.post("/v1/privacy/requests", json={"type": "erase", "email": EMAIL}).status_code
        == 200
    )
    assert admin.get(f"/v1/customers/{other['customer']['id']}").json() == before
