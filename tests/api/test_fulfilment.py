"""Fulfilment through HTTP on both back ends: routing, the state machine, shipments,
tracking webhooks, click & collect, re-routing on reject."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.channels.queries import get_channel
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from souk.orders.models import OrderLineInput
from souk.orders.service import record_order
from souk.payments.service import record_captured
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def test_web_order_ships_from_the_paris_store_and_captures_on_shipping(fr: FrenchShop) -> None:
    # Given a customer in Paris ordering a tee and a cap the Paris store has
    order = fr.web_order(("TEE-M", 1), ("CAP", 1))
    # Then routing made one fulfilment order at the Paris store
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["type"], fo["status"]) == ("store-paris", "ship", "open")
    assert sorted((ln["sku"], ln["quantity"]) for ln in fo["lines"]) == [("CAP", 1), ("TEE-M", 1)]
    assert order["payments"][0]["captured"]["amount"] == 0
    queue = fr.admin.get("/v1/fulfillment-orders", params={"location": "store-paris"}).json()
    assert [f["id"] for f in queue["data"]] == [fo["id"]]

    # When the store accepts, packs and ships it
    assert fr.fo(fo["id"], "accept").json()["status"] == "accepted"
    assert fr.fo(fo["id"], "pack").json()["status"] == "packed"
    shipped = fr.fo(fo["id"], "ship", {"carrier": "colissimo", "tracking_number": "6A123"})
    assert shipped.status_code == 200, shipped.text
    (shipment,) = shipped.json()["shipments"]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("colissimo", "6A123")

    # Then stock left the store, the payment was captured and the order is fulfilled
    assert fr.on_hand("TEE-M", "store-paris") == 1
    assert fr.on_hand("CAP", "store-paris") == 0
    after = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert after["status"] == "fulfilled"
    assert after["payments"][0]["captured"]["amount"] == after["totals"]["total"]["amount"] == 4490

    # And the carrier's delivered event delivers it, once however often it is sent
    event = {"event_id": "evt-1", "status": "delivered", "occurred_at": "2026-11-23T10:00:00Z"}
    url = f"/v1/shipments/{shipment['id']}/tracking-events"
    first = fr.admin.post(url, json=event)
    again = fr.admin.post(url, json=event)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert [e["event_id"] for e in again.json()["events"]] == ["evt-1"]
    delivered = fr.admin.get(f"/v1/fulfillment-orders/{fo['id']}").json()
    assert delivered["status"] == "delivered"


def test_illegal_transitions_are_409_and_change_nothing(fr: FrenchShop) -> None:
    order = fr.web_order(("TEE-M", 1))
    fo_id = order["fulfillment_orders"][0]["id"]
    early = fr.fo(fo_id, "ship", {"carrier": "dhl", "tracking_number": "1"})
    assert early.status_code == 409
    assert early.json()["type"] == "https://souk.dev/problems/invalid-state"
    assert early.json()["detail"] == (
        "A fulfilment order that is open cannot be shipped (possible now: accept, reject, cancel)"
    )
    wrong_kind = fr.fo(fo_id, "ready")
    assert wrong_kind.status_code == 409
    assert wrong_kind.json()["detail"] == "A ship fulfilment order cannot be made ready"
    assert fr.admin.get(f"/v1/fulfillment-orders/{fo_id}").json()["status"] == "open"
    assert fr.on_hand("TEE-M", "store-paris") == 2
    missing = fr.fo("fo_nope", "accept")
    assert missing.status_code == 404


def test_a_ship_body_missing_fields_lists_each(fr: FrenchShop) -> None:
    order = fr.web_order(("TEE-M", 1))
    fo_id = order["fulfillment_orders"][0]["id"]
    fr.fo(fo_id, "accept")
    bad = fr.fo(fo_id, "ship", {"carrier": ""})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body.carrier", "body.tracking_number"}


def test_signed_carrier_webhook_is_accepted_and_a_bad_signature_is_401(
    fr: FrenchShop, client: TestClient
) -> None:
    fr.admin.app.state.settings.carrier_webhook_secrets = {"colissimo": "s3cret"}  # type: ignore[attr-defined]
    order = fr.web_order(("TEE-M", 1))
    fo_id = order["fulfillment_orders"][0]["id"]
    fr.fo(fo_id, "accept")
    shipment = fr.fo(fo_id, "ship", {"carrier": "colissimo", "tracking_number": "X"}).json()[
        "shipments"
    ][0]
    body = json.dumps(
        {"event_id": "c-9", "status": "in_transit", "occurred_at": "2026-11-23T08:00:00Z"}
    ).encode()
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    url = f"/v1/shipments/{shipment['id']}/tracking-events"
    headers = {"Content-Type": "application/json"}
    anon = TestClient(fr.admin.app)
    forged = anon.post(url, content=body, headers={**headers, "X-Carrier-Signature": "sha256=00"})
    assert forged.status_code == 401
    signed = anon.post(url, content=body, headers={**headers, "X-Carrier-Signature": good})
    assert signed.status_code == 201, signed.text
    assert signed.json()["status"] == "in_transit"


def _ready_events(db: Database) -> list[dict[str, object]]:
    with db.transaction(write=False) as session:
        rows = session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.name == "fulfillment_order.ready")
        )
        return [dict(r) for r in rows]


def test_click_and_collect_at_a_store_that_has_it(fr: FrenchShop, db: Database) -> None:
    # Given a web order to collect at the Paris store, which has the tee
    order = fr.web_order(("TEE-M", 1), pickup="store-paris")
    (fo,) = order["fulfillment_orders"]
    assert (fo["location"], fo["type"], fo["estimated_ready_at"]) == ("store-paris", "pickup", None)
    # When the store accepts and makes it ready
    fr.fo(fo["id"], "accept")
    ready = fr.fo(fo["id"], "ready")
    assert ready.status_code == 200, ready.text
    code = ready.json()["pickup_code"]
    assert len(code) == 6 and code.isdigit()
    # Then the customer message carries the code (and later reads never show it)
    assert _ready_events(db) == [
        {"id": fo["id"], "order_id": order["id"], "location": "store-paris", "pickup_code": code}
    ]
    assert fr.admin.get(f"/v1/fulfillment-orders/{fo['id']}").json()["pickup_code"] is None
    # And a wrong code is refused, the right one hands it over
    wrong = fr.fo(fo["id"], "collect", {"pickup_code": "000000" if code != "000000" else "1"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {"field": "body.pickup_code", "message": "does not match the code sent"}
    ]
    assert fr.on_hand("TEE-M", "store-paris") == 2
    collected = fr.fo(fo["id"], "collect", {"pickup_code": code})
    assert collected.json()["status"] == "collected"
    assert fr.on_hand("TEE-M", "store-paris") == 1
    after = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert after["status"] == "fulfilled"
    assert after["payments"][0]["captured"]["amount"] == 2500


def test_five_wrong_codes_lock_the_counter_until_a_new_code(fr: FrenchShop) -> None:
    order = fr.web_order(("TEE-M", 1), pickup="store-paris")
    fo_id = order["fulfillment_orders"][0]["id"]
    fr.fo(fo_id, "accept")
    code = fr.fo(fo_id, "ready").json()["pickup_code"]
    bad = "1234567"
    assert [fr.fo(fo_id, "collect", {"pickup_code": bad}).status_code for _ in range(5)] == [
        422
    ] * 5
    locked = fr.fo(fo_id, "collect", {"pickup_code": code})
    assert locked.status_code == 409
    fresh = fr.fo(fo_id, "ready").json()["pickup_code"]
    assert fr.fo(fo_id, "collect", {"pickup_code": fresh}).json()["status"] == "collected"


def _paid_pickup_order(db: Database, sku: str, store: str) -> str:
    """A pickup order for a store that lacks the item, as checkout writes it when it falls
    back to the endless aisle (the storefront offered the transfer proposal)."""
    with UnitOfWork(db) as uow:
        channel = get_channel(session=uow.session, code="web")
        order = record_order(
            session=uow.session,
            channel=channel,
            lines=[OrderLineInput(sku, 1, 1200, tax=200, tax_rate=Decimal("0.2"))],
            currency="EUR",
            email="anne@example.com",
            fulfillment={"type": "pickup", "location": store},
            emit=uow.emit,
        )
        record_captured(
            session=uow.session, order_id=order.id, amount=1200, currency="EUR", method="card"
        )
        uow.commit()
        return order.id


def test_click_and_collect_at_a_store_without_the_item_goes_through_a_transfer(
    fr: FrenchShop, db: Database
) -> None:
    # Given a mug only Lyon has, ordered for pickup in Paris
    order_id = _paid_pickup_order(db, "MUG", "store-paris")
    proposal = fr.admin.get(
        "/v1/pickup-proposals",
        params={"location": "store-paris", "sku": "MUG", "quantity": 1, "channel": "web"},
    )
    assert proposal.status_code == 200, proposal.text
    assert proposal.json()["ready"] == "after_transfer"
    assert proposal.json()["transfers"] == [{"from": "store-lyon", "quantity": 1}]
    fr.dispatch()
    # Then Paris sees the order with the incoming transfer from Lyon and a ready date
    paris = fr.pos_keys["store-paris"]
    queue = fr.admin.get(
        "/v1/fulfillment-orders", headers={"Authorization": f"Bearer {paris}"}
    ).json()["data"]
    (fo,) = queue
    (line,) = fo["lines"]
    transfer = line["incoming_transfer"]
    assert (transfer["from"], transfer["status"]) == ("store-lyon", "requested")
    assert fo["estimated_ready_at"] is not None
    # When the store tries to make it ready before the mug arrived, it is told why not
    fr.fo(fo["id"], "accept", key=paris)
    early = fr.fo(fo["id"], "ready", key=paris)
    assert early.status_code == 409
    assert "still coming from store-lyon" in early.json()["detail"]
    # When Lyon ships it and Paris receives it
    for step in ("ship", "receive"):
        moved = fr.admin.post(f"/v1/inventory/transfers/{transfer['id']}/{step}")
        assert moved.status_code == 200, moved.text
    # Then Paris makes it ready and the customer collects it
    code = fr.fo(fo["id"], "ready", key=paris).json()["pickup_code"]
    collected = fr.fo(fo["id"], "collect", {"pickup_code": code}, key=paris)
    assert collected.json()["status"] == "collected"
    assert (fr.on_hand("MUG", "store-lyon"), fr.on_hand("MUG", "store-paris")) == (2, 0)
    assert fr.admin.get(f"/v1/orders/{order_id}").json()["status"] == "fulfilled"


def test_a_rejected_fulfilment_is_rerouted_and_the_discrepancy_recorded(fr: FrenchShop) -> None:
    # Given a web order routed to the Paris store
    order = fr.web_order(("TEE-M", 1))
    (fo,) = order["fulfillment_orders"]
    assert fo["location"] == "store-paris"
    # When Paris cannot find the tee on the shelf
    rejected = fr.fo(fo["id"], "reject", {"reason": "not on the shelf"})
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["reject_reason"]) == ("rejected", "not on the shelf")
    # Then the tee goes to Marseille, and Paris is asked for a count
    (new_id,) = body["rerouted_to"]
    new = fr.admin.get(f"/v1/fulfillment-orders/{new_id}").json()
    assert (new["location"], new["status"], new["rerouted_from"]) == (
        "wh-marseille", "open", fo["id"],
    )  # fmt: skip
    discrepancies = fr.admin.get("/v1/stock-discrepancies", params={"location": "store-paris"})
    assert [(d["sku"], d["kind"], d["quantity"], d["reference"]) for d in discrepancies.json()] == [
        ("TEE-M", "rejected_pick", 1, fo["id"])
    ]
    # And the new one ships normally
    fr.fo(new_id, "accept")
    fr.fo(new_id, "ship", {"carrier": "dhl", "tracking_number": "JD1"})
    assert fr.admin.get(f"/v1/orders/{order['id']}").json()["status"] == "fulfilled"
    assert fr.on_hand("TEE-M", "wh-marseille") == 9
    assert fr.on_hand("TEE-M", "store-paris") == 2
    again = fr.fo(fo["id"], "reject", {"reason": "twice"})
    assert again.status_code == 409


def test_a_rejection_nobody_else_can_take_flags_the_order(fr: FrenchShop) -> None:
    order = fr.web_order(("MUG", 1))
    (fo,) = order["fulfillment_orders"]
    assert fo["location"] == "store-lyon"
    rejected = fr.fo(fo["id"], "reject", {"reason": "broken"})
    assert rejected.json()["rerouted_to"] == []
    holds = fr.admin.get("/v1/fulfillment-holds", params={"order": order["id"]}).json()
    assert [(h["sku"], h["quantity"], h["status"]) for h in holds] == [("MUG", 1, "open")]


def test_a_split_order_captures_each_package_as_it_ships(fr: FrenchShop) -> None:
    # Given a tee (Paris has it) and a mug (only Lyon has it) for a customer in Paris
    order = fr.web_order(("TEE-M", 1), ("MUG", 1))
    by_location = {fo["location"]: fo["id"] for fo in order["fulfillment_orders"]}
    assert sorted(by_location) == ["store-lyon", "store-paris"]
    # When Paris ships first, it captures the tee and the shipping charge
    fr.fo(by_location["store-paris"], "accept")
    fr.fo(by_location["store-paris"], "ship", {"carrier": "dhl", "tracking_number": "P1"})
    after = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert after["status"] == "partially_fulfilled"
    assert after["payments"][0]["captured"]["amount"] == 2500 + 490
    # Then Lyon's package captures the rest, exactly the total
    fr.fo(by_location["store-lyon"], "accept")
    fr.fo(by_location["store-lyon"], "ship", {"carrier": "dhl", "tracking_number": "L1"})
    done = fr.admin.get(f"/v1/orders/{order['id']}").json()
    assert done["status"] == "fulfilled"
    assert done["payments"][0]["captured"]["amount"] == done["totals"]["total"]["amount"] == 4190


def test_cancelling_the_order_stands_its_fulfilment_orders_down(fr: FrenchShop) -> None:
    # Given three tees routed to Marseille (Paris has only two)
    order = fr.web_order(("TEE-M", 3))
    (fo,) = order["fulfillment_orders"]
    assert fo["location"] == "wh-marseille"
    # When the order is cancelled
    cancelled = fr.admin.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"})
    assert cancelled.status_code == 200, cancelled.text
    fr.dispatch()
    # Then its fulfilment order is cancelled and every unit is available again
    assert fr.admin.get(f"/v1/fulfillment-orders/{fo['id']}").json()["status"] == "cancelled"
    stock = {
        row["location"]: row["available"]
        for row in fr.admin.get("/v1/inventory/TEE-M").json()["locations"]
    }
    assert (stock["wh-marseille"], stock["store-paris"]) == (10, 2)
