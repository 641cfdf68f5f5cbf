"""Souk's own events feed the profiles with no client, through HTTP on both back ends: a
web order and an in-store sale with the loyalty card are one person's, with both orders,
computed traits (RFM, AOV, preferred channel, affinities), earned points as events; the
web tracking of the same customer joins when they sign in; every handler is idempotent;
a segment over computed traits and events follows as orders arrive."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.cdp import domain_events
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from tests.api.test_loyalty import PROGRAM
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop
from tests.integration.cdp.factories import send, write_key


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    return shop


def _member(fr: FrenchShop) -> tuple[str, str]:
    created = fr.shop.register("web", "anne@example.com", name="Anne")
    customer = created["customer"]["id"]
    patched = fr.admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LC-1001"})
    assert patched.status_code == 200, patched.text
    return customer, created["token"]


def _web_order(fr: FrenchShop, token: str, *lines: tuple[str, int]) -> str:
    cart = fr.shop.cart("web", token=token, currency="EUR")
    for sku, quantity in lines:
        assert fr.shop.add(cart["id"], "web", sku, quantity, token=token).status_code in (200, 201)
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=body)
    placed = fr.shop.checkout(cart["id"], "web", token=token)
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    return str(placed.json()["id"])


def _till_sale(fr: FrenchShop, txn: str, *lines: tuple[str, int], paid: int) -> str:
    sold = fr.admin.post(
        "/v1/pos/sales",
        headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"},
        json={
            "client_txn_id": txn,
            "occurred_at": utcnow().isoformat(),
            "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "payments": [{"method": "card", "amount": paid}],
            "customer": {"loyalty_card": "LC-1001"},
        },
    )
    assert sold.status_code == 201, sold.text
    fr.dispatch()
    return str(sold.json()["id"])


def _profile(admin: TestClient, **lookup: str) -> dict[str, Any]:
    data = admin.get("/v1/profiles", params=lookup).json()["data"]
    assert len(data) == 1, data
    return dict(data[0])


def test_online_and_in_store_orders_make_one_profile_with_computed_traits(
    fr: FrenchShop, db: Database
) -> None:
    customer, token = _member(fr)
    web = _web_order(fr, token, ("TEE-M", 2))
    till = _till_sale(fr, "till-1", ("CAP", 1), paid=1500)
    profile = _profile(fr.admin, loyalty_card="LC-1001")
    assert {(o["id"], o["channel"]) for o in profile["orders"]} == {
        (web, "web"), (till, "pos-paris"),
    }  # fmt: skip
    ids = {(i["type"], i["value"]) for i in profile["identities"]}
    assert ids >= {
        ("user_id", customer),
        ("email", "anne@example.com"),
        ("loyalty_card", "LC-1001"),
    }
    computed = profile["computed"]
    assert computed["orders_count"] == 2 and computed["in_store_orders"] == 1
    assert computed["currency"] == "EUR"
    web_total = next(o["totals"]["total"]["amount"] for o in profile["orders"] if o["id"] == web)
    assert computed["revenue"] == web_total + 1500
    assert computed["aov"] == round((web_total + 1500) / 2)
    assert computed["channels"] == {"pos-paris": 1, "web": 1}
    assert computed["category_affinities"] == {"hats": 0.5, "tops": 0.5}
    assert computed["rfm"]["r"] == 5 and computed["rfm"]["f"] == 2
    assert computed["clv_365d"] > 0 and 0 <= computed["churn_risk"] < 0.1
    events = [e["event"] for e in profile["events"]]
    assert events.count("Order Completed") == 2
    assert events.count("Loyalty Points Earned") == 2
    # A redelivered `order.placed` changes nothing.
    assert domain_events.record_order(uow=UnitOfWork(db), order_id=web) is None
    again = _profile(fr.admin, loyalty_card="LC-1001")
    assert len(again["orders"]) == 2
    assert [e["event"] for e in again["events"]].count("Order Completed") == 2


def test_web_tracking_joins_the_buyer_when_they_sign_in(fr: FrenchShop) -> None:
    customer, token = _member(fr)
    order = _web_order(fr, token, ("MUG", 1))
    key = write_key(fr.admin, "app-tracking")
    tracker = TestClient(fr.admin.app)
    for body in (
        {"anonymousId": "v-1", "event": "Product Viewed", "properties": {"sku": "CAP"}},
        {"anonymousId": "v-1", "event": "Product Added", "properties": {"sku": "CAP"}},
    ):
        assert send(tracker, "/v1/track", body, key=key).status_code == 200
    signed_in = {"anonymousId": "v-1", "userId": customer, "traits": {"email": "anne@example.com"}}
    assert send(tracker, "/v1/identify", signed_in, key=key).status_code == 200
    profile = _profile(fr.admin, anonymous_id="v-1")
    assert [o["id"] for o in profile["orders"]] == [order]
    assert {"Product Viewed", "Product Added", "Order Completed"} <= {
        e["event"] for e in profile["events"]
    }


def test_a_segment_follows_orders_as_they_arrive(fr: FrenchShop) -> None:
    segment = fr.admin.post(
        "/v1/segments",
        json={
            "name": "hat lovers",
            "rule": {
                "all": [
                    {"computed": "orders_count", "op": "gte", "value": 2},
                    {"event": "Order Completed", "where": {"category": "hats"},
                     "min_count": 1, "within_days": 90},
                ]
            },
        },
    )  # fmt: skip
    assert segment.status_code == 201, segment.text
    seg_id = segment.json()["id"]
    assert segment.json()["members"] == 0
    _, token = _member(fr)
    _web_order(fr, token, ("TEE-M", 1))
    members = fr.admin.get(f"/v1/segments/{seg_id}/members").json()
    assert members == {"data": [], "next_cursor": None}
    _till_sale(fr, "till-2", ("CAP", 1), paid=1500)
    profile = _profile(fr.admin, loyalty_card="LC-1001")
    members = fr.admin.get(f"/v1/segments/{seg_id}/members").json()["data"]
    assert [m["profile"] for m in members] == [profile["id"]]
    assert profile["segments"] == [seg_id]
    assert fr.admin.get(f"/v1/segments/{seg_id}").json()["members"] == 1
    with fr.db.transaction(write=False) as session:
        entered = [
            e.payload
            for e in session.scalars(
                select(OutboxEvent).where(OutboxEvent.name == "segment.entered")
            )
        ]
    assert entered == [{"segment": seg_id, "profile": profile["id"]}]


def test_a_bad_segment_rule_is_a_422_listing_each_problem(fr: FrenchShop) -> None:
    response = fr.admin.post(
        "/v1/segments",
        json={"name": "x", "rule": {"all": [{"computed": "aov", "op": "huge"}, {"event": ""}]}},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.rule.all.0.op", "body.rule.all.0.value", "body.rule.all.1.event"}


def test_unmerging_a_wrong_email_takes_its_guest_order_back_out(fr: FrenchShop) -> None:
    # A guest order by Bob, then Anne signs in and mistypes Bob's email as hers.
    cart = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(cart["id"], "web", "MUG", 1).status_code in (200, 201)
    body = {
        "email": "bob@example.com",
        "shipping_address": ADDRESS_PARIS,
        "fulfillment": {"type": "delivery"},
    }
    assert fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body).status_code == 200
    placed = fr.shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    bob = _profile(fr.admin, email="bob@example.com")
    key = write_key(fr.admin, "tracking")
    tracker = TestClient(fr.admin.app)
    send(tracker, "/v1/identify", {"userId": "anne", "anonymousId": "a-9"}, key=key)
    wrong = {"userId": "anne", "traits": {"email": "bob@example.com"}}
    send(tracker, "/v1/identify", wrong, key=key)
    anne = _profile(fr.admin, user_id="anne")
    assert [o["id"] for o in anne["orders"]] == [placed.json()["id"]]
    assert anne["computed"]["orders_count"] == 1

    split = fr.admin.post(
        f"/v1/profiles/{anne['id']}/unmerge",
        json={"identity": {"type": "email", "value": "Bob@Example.com"}},
    )
    assert split.status_code == 200, split.text
    restored, kept = split.json()["restored"], split.json()["profile"]
    assert restored["id"] == bob["id"]
    assert [o["id"] for o in restored["orders"]] == [placed.json()["id"]]
    assert restored["computed"]["orders_count"] == 1
    assert kept["orders"] == [] and kept["computed"]["orders_count"] == 0
    assert {(i["type"], i["value"]) for i in kept["identities"]} == {
        ("user_id", "anne"), ("anonymous_id", "a-9"),
    }  # fmt: skip


def test_consents_per_purpose_and_channel_keep_their_history(fr: FrenchShop) -> None:
    _, token = _member(fr)
    _web_order(fr, token, ("MUG", 1))
    profile = _profile(fr.admin, email="anne@example.com")
    path = f"/v1/profiles/{profile['id']}/consents"
    first = fr.admin.put(
        path,
        json=[
            {"purpose": "marketing", "channel": "email", "granted": True, "source": "signup"},
            {"purpose": "marketing", "channel": "sms", "granted": False, "source": "signup"},
        ],
    )
    assert first.status_code == 200, first.text
    later = fr.admin.put(
        path, json=[{"purpose": "marketing", "channel": "email", "granted": False,
                     "source": "unsubscribe link"}],
    )  # fmt: skip
    body = later.json()
    assert [(c["purpose"], c["channel"], c["granted"], c["source"]) for c in body["consents"]] == [
        ("marketing", "email", False, "unsubscribe link"),
        ("marketing", "sms", False, "signup"),
    ]
    assert [(c["channel"], c["granted"]) for c in body["consent_history"]] == [
        ("email", True), ("sms", False), ("email", False),
    ]  # fmt: skip
    bad = fr.admin.put(path, json=[{"purpose": "telepathy", "channel": "email", "granted": True,
                                    "source": "x"}])  # fmt: skip
    assert bad.status_code == 422
    assert len(fr.admin.get(f"/v1/profiles/{profile['id']}").json()["consent_history"]) == 3
    missing = fr.admin.put("/v1/profiles/prof_nope/consents", json=[])
    assert missing.status_code == 404


def test_viewed_online_then_bought_in_store_is_attributed_on_the_profile(
    fr: FrenchShop, db: Database
) -> None:
    customer, _ = _member(fr)
    key = write_key(fr.admin, "tracking")
    tracker = TestClient(fr.admin.app)
    viewed = {"anonymousId": "r-1", "event": "Product Viewed", "properties": {"sku": "CAP"}}
    other = {"anonymousId": "r-1", "event": "Product Viewed", "properties": {"sku": "MUG"}}
    for body in (viewed, other, {"anonymousId": "r-1", "userId": customer}):
        path = "/v1/identify" if "userId" in body else "/v1/track"
        assert send(tracker, path, body, key=key).status_code == 200
    _till_sale(fr, "till-r", ("CAP", 1), ("TEE-M", 1), paid=4000)
    computed = _profile(fr.admin, loyalty_card="LC-1001")["computed"]
    assert [a["sku"] for a in computed["ropo"]] == ["CAP"]
    # The visitor who viewed online is the member who bought in the store.
    assert _profile(fr.admin, anonymous_id="r-1")["computed"]["ropo"] == computed["ropo"]
