"""Returns through HTTP on both back ends: returned anywhere, inspected, restocked, refunded
(partially, to the payment or as store credit), exchanges, windows and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.payments.service import refund
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _shipped_order(fr: FrenchShop, *lines: tuple[str, int]) -> dict[str, Any]:
    order = fr.web_order(*lines)
    for fo in order["fulfillment_orders"]:
        fr.fo(fo["id"], "accept")
        shipped = fr.fo(fo["id"], "ship", {"carrier": "dhl", "tracking_number": "T"})
        assert shipped.status_code == 200, shipped.text
    result: dict[str, Any] = fr.admin.get(f"/v1/orders/{order['id']}").json()
    return result


def _as(fr: FrenchShop, store: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {fr.pos_keys[store]}"}


def test_an_online_order_returned_in_lyon_is_restocked_there_with_a_partial_refund(
    fr: FrenchShop,
) -> None:
    # Given two tees shipped from Paris and paid 50.00 + 4.90 shipping
    order = _shipped_order(fr, ("TEE-M", 2))
    assert order["status"] == "fulfilled"
    lyon = _as(fr, "store-lyon")
    # When the customer brings them to the Lyon store, which opens the return
    opened = fr.admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 2, "reason": "too small"}],
              "method": "in_store"},
        headers=lyon,
    )  # fmt: skip
    assert opened.status_code == 201, opened.text
    ret = opened.json()
    assert (ret["status"], ret["location"], ret["refundable"]["amount"]) == (
        "requested", "store-lyon", 0,
    )  # fmt: skip
    assert ret["lines"][0]["amount"] == {"amount": 5000, "currency": "EUR"}
    # And inspects them: one resellable, one damaged
    received = fr.admin.post(
        f"/v1/returns/{ret['id']}/receive",
        json={"location": "store-lyon", "lines": [
            {"sku": "TEE-M", "quantity": 1, "condition": "resellable"},
            {"sku": "TEE-M", "quantity": 1, "condition": "damaged"}]},
        headers=lyon,
    )  # fmt: skip
    assert received.status_code == 200, received.text
    assert (received.json()["lines"][0]["resellable"], received.json()["lines"][0]["damaged"]) == (
        1, 1,
    )  # fmt: skip
    # Then the resellable one is on hand in Lyon (a `return` movement), the damaged one is not
    assert fr.on_hand("TEE-M", "store-lyon") == 1
    ledger = fr.admin.get("/v1/inventory/TEE-M/movements").json()["data"]
    assert [(m["type"], m["location"], m["quantity"], m["reference"]) for m in ledger
            if m["type"] == "return"] == [("return", "store-lyon", 1, ret["id"])]  # fmt: skip
    assert fr.admin.get(f"/v1/orders/{order['id']}").json()["status"] == "returned"
    # When Lyon refunds 20.00 now to the card, then the rest
    partial = fr.admin.post(
        f"/v1/returns/{ret['id']}/refund", json={"amount": 2000, "to": "original"}, headers=lyon
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["refundable"]["amount"] == 3000
    rest = fr.admin.post(f"/v1/returns/{ret['id']}/refund", json={"to": "original"}, headers=lyon)
    assert [r["amount"]["amount"] for r in rest.json()["refunds"]] == [2000, 3000]
    # Then the payment shows 50.00 refunded, the shipping kept
    payment = fr.admin.get(f"/v1/orders/{order['id']}").json()["payments"][0]
    assert (payment["captured"]["amount"], payment["refunded"]["amount"]) == (5490, 5000)
    # And nothing more can be refunded for this return
    more = fr.admin.post(f"/v1/returns/{ret['id']}/refund", json={"amount": 1, "to": "original"})
    assert more.status_code == 409
    assert more.json()["detail"] == (
        f"Cannot refund 1 EUR: return {ret['id']} has 0 EUR left to refund"
    )


def test_receiving_a_return_twice_is_409_and_changes_nothing(fr: FrenchShop) -> None:
    order = _shipped_order(fr, ("TEE-M", 1))
    ret = fr.admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 1, "reason": "x"}], "method": "carrier",
              "carrier": "colissimo", "tracking_number": "RET1"},
    ).json()  # fmt: skip
    assert (ret["carrier"], ret["tracking_number"]) == ("colissimo", "RET1")
    body = {"location": "store-paris",
            "lines": [{"sku": "TEE-M", "quantity": 1, "condition": "resellable"}]}  # fmt: skip
    assert fr.admin.post(f"/v1/returns/{ret['id']}/receive", json=body).status_code == 200
    again = fr.admin.post(f"/v1/returns/{ret['id']}/receive", json=body)
    assert again.status_code == 409
    assert again.json()["detail"] == f"Return {ret['id']} was already received at store-paris"
    assert fr.on_hand("TEE-M", "store-paris") == 2  # 2 − 1 shipped + 1 back, once


def test_refund_never_exceeds_what_was_captured_across_all_refunds(
    fr: FrenchShop, db: Database
) -> None:
    order = _shipped_order(fr, ("TEE-M", 1))
    with UnitOfWork(db) as uow:  # a goodwill refund made elsewhere, earlier
        refund(session=uow.session, order_id=order["id"], amount=1500)
        uow.commit()
    ret = fr.admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 1, "reason": "x"}], "method": "in_store",
              "location": "store-paris"},
    ).json()  # fmt: skip
    fr.admin.post(
        f"/v1/returns/{ret['id']}/receive",
        json={"location": "store-paris",
              "lines": [{"sku": "TEE-M", "quantity": 1, "condition": "resellable"}]},
    )  # fmt: skip
    too_much = fr.admin.post(f"/v1/returns/{ret['id']}/refund", json={"to": "original"})
    assert too_much.status_code == 409
    assert too_much.json()["detail"] == (
        "Cannot refund 2500: only 1490 was captured and not yet refunded"
    )
    assert fr.admin.get(f"/v1/returns/{ret['id']}").json()["refunds"] == []
    # Store credit is the way out, and it is recorded against the return
    credit = fr.admin.post(f"/v1/returns/{ret['id']}/refund", json={"to": "store_credit"})
    assert credit.status_code == 200, credit.text
    (issued,) = credit.json()["refunds"]
    assert (issued["to"], issued["amount"]["amount"]) == ("store_credit", 2500)
    # It is a gift card of kind store_credit for the customer, its code shown this once.
    assert issued["store_credit_id"].startswith("gft_")
    card = fr.admin.get(f"/v1/gift-cards/{issued['store_credit_id']}").json()
    assert (card["kind"], card["balance"]["amount"], card["status"]) == (
        "store_credit", 2500, "active",
    )  # fmt: skip
    assert [(e["type"], e["amount"], e["order"]) for e in card["ledger"]] == [
        ("issue", 2500, ret["order_id"])
    ]
    later = fr.admin.get(f"/v1/returns/{ret['id']}").json()["refunds"]
    assert later[0]["store_credit_code"] is None  # a bearer secret, shown once
    found = fr.admin.post("/v1/gift-cards/lookup", json={"code": issued["store_credit_code"]})
    assert found.json()["id"] == issued["store_credit_id"]


def test_late_unshipped_and_non_returnable_returns_are_refused(
    fr: FrenchShop, admin: TestClient
) -> None:
    order = fr.web_order(("TEE-M", 1), ("CAP", 1))
    unshipped = admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 1, "reason": "x"}], "method": "carrier"},
    )
    assert unshipped.status_code == 422
    assert unshipped.json()["errors"] == [
        {
            "field": "body.lines.0.quantity",
            "message": "only 0 unit(s) of 'TEE-M' can be returned (0 handed over, 0 already "
            "on a return)",
        }
    ]
    shipped = _shipped_order(fr, ("CAP", 1))
    settings = admin.app.state.settings  # type: ignore[attr-defined]
    settings.returns_non_returnable_categories = ["hats"]
    refused = admin.post(
        f"/v1/orders/{shipped['id']}/returns",
        json={"lines": [{"sku": "CAP", "quantity": 1, "reason": "x"}], "method": "in_store",
              "location": "wh-marseille"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "body.location", "message": "'wh-marseille' does not take returns"},
        {"field": "body.lines.0.sku", "message": "'CAP' cannot be returned"},
    ]
    settings.returns_non_returnable_categories = []
    settings.returns_window_days = 0
    late = admin.post(
        f"/v1/orders/{shipped['id']}/returns",
        json={"lines": [{"sku": "CAP", "quantity": 1, "reason": "x"}], "method": "carrier"},
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["message"].startswith("the 0-day return window closed on ")


def test_an_exchange_sends_the_replacement_as_a_new_paid_order(fr: FrenchShop) -> None:
    order = _shipped_order(fr, ("TEE-M", 1))
    ret = fr.admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 1, "reason": "colour",
                         "exchange_for": "CAP"}], "method": "in_store", "location": "store-paris"},
    ).json()  # fmt: skip
    received = fr.admin.post(
        f"/v1/returns/{ret['id']}/receive",
        json={"location": "store-paris",
              "lines": [{"sku": "TEE-M", "quantity": 1, "condition": "resellable"}]},
    ).json()  # fmt: skip
    exchange_id = received["exchange_order_id"]
    assert received["refundable"]["amount"] == 0
    fr.dispatch()
    exchange = fr.admin.get(f"/v1/orders/{exchange_id}").json()
    assert [(ln["sku"], ln["quantity"]) for ln in exchange["lines"]] == [("CAP", 1)]
    assert exchange["totals"]["total"]["amount"] == 0
    assert len(exchange["fulfillment_orders"]) == 1


def test_a_pos_key_cannot_receive_or_refund_for_another_store(fr: FrenchShop) -> None:
    order = _shipped_order(fr, ("TEE-M", 1))
    paris, lyon = _as(fr, "store-paris"), _as(fr, "store-lyon")
    ret = fr.admin.post(
        f"/v1/orders/{order['id']}/returns",
        json={"lines": [{"sku": "TEE-M", "quantity": 1, "reason": "x"}], "method": "in_store"},
        headers=lyon,
    ).json()  # fmt: skip
    body = {"location": "store-lyon",
            "lines": [{"sku": "TEE-M", "quantity": 1, "condition": "resellable"}]}  # fmt: skip
    other = fr.admin.post(f"/v1/returns/{ret['id']}/receive", json=body, headers=paris)
    assert other.status_code == 403
    assert fr.admin.get(f"/v1/returns/{ret['id']}").json()["status"] == "requested"
    fr.admin.post(f"/v1/returns/{ret['id']}/receive", json=body, headers=lyon)
    refused = fr.admin.post(
        f"/v1/returns/{ret['id']}/refund", json={"to": "original"}, headers=paris
    )
    assert refused.status_code == 403
