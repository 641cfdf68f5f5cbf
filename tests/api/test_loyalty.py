"""One loyalty program across channels, through HTTP on both back ends: points earned at
the till and on the web show as one balance, a return claws back its lines' points, an
order earns once whatever the redeliveries, nothing drives a balance below zero."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.loyalty import service
from souk.loyalty.tables import LoyaltyProgramRow
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"
PROGRAM = {
    # 1 point per euro: 0.01 point per cent
    "currency_rates": {"EUR": "0.01"},
    "point_values": {"EUR": "1"},
    "earn_rules": [
        {"factor": "2", "categories": ["hats"]},
        {"factor": "0", "skus": ["MUG"]},
        {"bonus": 5, "channels": ["pos-paris"]},
    ],
    "tiers": [
        {"code": "member", "name": "Member", "threshold_points": 0, "window_days": 365},
        {"code": "gold", "name": "Gold", "threshold_points": 60, "window_days": 365,
         "multiplier": "1.5", "benefits": {"free_shipping": True}},
    ],
    "points_expire_after_days": 365,
    "pending_days": 0,
}  # fmt: skip


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    response = admin.put("/v1/loyalty/program", json=PROGRAM)
    assert response.status_code == 200, response.text
    return shop


def _member(fr: FrenchShop) -> tuple[str, str]:
    created = fr.shop.register("web", "anne@example.com", name="Anne")
    customer = created["customer"]["id"]
    patched = fr.admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LC-1001"})
    assert patched.status_code == 200, patched.text
    return customer, created["token"]


def _web_order(fr: FrenchShop, token: str, *lines: tuple[str, int]) -> dict[str, Any]:
    cart = fr.shop.cart("web", token=token, currency="EUR")
    for sku, quantity in lines:
        assert fr.shop.add(cart["id"], "web", sku, quantity, token=token).status_code in (200, 201)
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    patched = fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=body)
    assert patched.status_code == 200, patched.text
    placed = fr.shop.checkout(cart["id"], "web", token=token)
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    order: dict[str, Any] = fr.admin.get(f"/v1/orders/{placed.json()['id']}").json()
    return order


def _till_sale(fr: FrenchShop, txn: str, *lines: tuple[str, int], paid: int) -> dict[str, Any]:
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
    return dict(sold.json())


def _mine(fr: FrenchShop, token: str) -> dict[str, Any]:
    response = fr.shop.call("GET", "/v1/customers/me/loyalty", "web", token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_points_from_the_till_and_the_web_make_one_balance_and_a_tier(fr: FrenchShop) -> None:
    customer, token = _member(fr)
    # At the Paris till: a tee (25.00 → 25 points), a cap (15.00, hats ×2 → 30), a mug
    # (excluded) and the store's bonus of 5 → 60 points, which reaches gold.
    _till_sale(fr, "till-1", ("TEE-M", 1), ("CAP", 1), ("MUG", 1), paid=5200)
    till = _mine(fr, token)
    assert (till["balance"], till["pending"], till["tier"]) == (60, 0, "gold")
    assert till["card_number"] == "LC-1001"
    assert till["benefits"] == {"free_shipping": True}
    assert till["next_tier"] is None
    # On the web as gold: a tee, 25 points × 1.5 = 37 (rounded down), shipping earns none.
    order = _web_order(fr, token, ("TEE-M", 1))
    mine = _mine(fr, token)
    assert mine["balance"] == 97
    assert next((e["type"], e["points"], e["order"]) for e in mine["history"]) == (
        "earn", 37, order["id"],
    )  # fmt: skip
    # The admin sees the same account from the operator's side.
    admin_view = fr.admin.get(f"/v1/customers/{customer}/loyalty")
    assert admin_view.status_code == 200 and admin_view.json()["balance"] == 97


def test_an_order_earns_once_whatever_the_redeliveries(fr: FrenchShop, db: Database) -> None:
    _, token = _member(fr)
    order = _web_order(fr, token, ("TEE-M", 2))
    for _ in range(3):
        assert service.earn_for_order(uow=UnitOfWork(db), order_id=order["id"]) == 0
    mine = _mine(fr, token)
    assert mine["balance"] == 50
    assert [e["type"] for e in mine["history"]] == ["earn"]


def test_a_return_claws_back_the_points_of_its_lines_and_buy_then_return_nets_zero(
    fr: FrenchShop,
) -> None:
    _, token = _member(fr)
    order = _web_order(fr, token, ("TEE-M", 2), ("CAP", 1))  # 50 + 30 = 80 points
    assert _mine(fr, token)["balance"] == 80
    for fo in order["fulfillment_orders"]:
        fr.fo(fo["id"], "accept")
        assert (
            fr.fo(fo["id"], "ship", {"carrier": "dhl", "tracking_number": "T"}).status_code == 200
        )

    def give_back(*lines: tuple[str, int]) -> None:
        opened = fr.admin.post(
            f"/v1/orders/{order['id']}/returns",
            json={"lines": [{"sku": s, "quantity": q, "reason": "x"} for s, q in lines],
                  "method": "carrier"},
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        received = fr.admin.post(
            f"/v1/returns/{opened.json()['id']}/receive",
            json={"location": "store-paris", "lines": [
                {"sku": s, "quantity": q, "condition": "resellable"} for s, q in lines]},
        )  # fmt: skip
        assert received.status_code == 200, received.text
        fr.dispatch()

    give_back(("TEE-M", 1))
    assert _mine(fr, token)["balance"] == 55  # one tee's 25 points back
    give_back(("TEE-M", 1), ("CAP", 1))
    mine = _mine(fr, token)
    assert mine["balance"] == 0
    assert sorted(e["points"] for e in mine["history"]) == [-55, -25, 80]


def test_spent_points_are_not_clawed_below_zero(fr: FrenchShop) -> None:
    customer, token = _member(fr)
    order = _web_order(fr, token, ("TEE-M", 1))  # 25 points
    spent = fr.admin.post(
        "/v1/loyalty/adjustments", json={"customer": customer, "points": -20, "reason": "gift"}
    )
    assert spent.status_code == 200, spent.text
    assert spent.json()["balance"] == 5
    cancelled = fr.admin.post(f"/v1/orders/{order['id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    fr.dispatch()
    mine = _mine(fr, token)
    assert mine["balance"] == 0
    clawback = next(e for e in mine["history"] if e["type"] == "clawback")
    assert clawback["points"] == -5 and "written off" in clawback["reason"]


def test_adjustments_never_go_below_zero_and_bad_input_writes_nothing(
    fr: FrenchShop, db: Database
) -> None:
    customer, token = _member(fr)
    url = "/v1/loyalty/adjustments"
    up = fr.admin.post(url, json={"customer": customer, "points": 30, "reason": "welcome"})
    assert up.status_code == 200 and up.json()["balance"] == 30
    too_much = fr.admin.post(url, json={"customer": customer, "points": -31, "reason": "x"})
    assert too_much.status_code == 409
    assert too_much.json()["type"] == PROBLEM + "not-enough-points"
    for body in (
        {"customer": customer, "points": 0, "reason": "x"},
        {"customer": "cus_nobody", "points": 5, "reason": "x"},
        {"customer": customer, "points": 5},
    ):
        assert fr.admin.post(url, json=body).status_code == 422, body
    assert _mine(fr, token)["balance"] == 30
    before = fr.admin.get("/v1/loyalty/program").json()
    for program in (
        {**PROGRAM, "currency_rates": {"EUR": "-1"}},
        {**PROGRAM, "currency_rates": {"XQZ": "1"}},
        {**PROGRAM, "tiers": list(reversed(PROGRAM["tiers"]))},  # type: ignore[call-overload]
        {**PROGRAM, "pending_days": -1},
    ):
        assert fr.admin.put("/v1/loyalty/program", json=program).status_code == 422
    assert fr.admin.get("/v1/loyalty/program").json() == before
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.query(LoyaltyProgramRow).count() == 1


def test_pending_points_wait_for_the_return_window(fr: FrenchShop, db: Database) -> None:
    assert (
        fr.admin.put("/v1/loyalty/program", json={**PROGRAM, "pending_days": 30}).status_code == 200
    )
    customer, token = _member(fr)
    _web_order(fr, token, ("TEE-M", 1))
    mine = _mine(fr, token)
    assert (mine["balance"], mine["pending"]) == (0, 25)
    with UnitOfWork(db, write=False) as uow:
        later = service.member_view(
            session=uow.session,
            program=service._program(uow.session),
            customer_id=customer,
            now=utcnow() + timedelta(days=31),
        )
    assert (later.balance, later.pending) == (25, 0)
