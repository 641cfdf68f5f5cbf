"""Promotions, codes and personal coupons over HTTP (admin), on SQLite and PostgreSQL:
contradictions refused with nothing written, codes unique and exportable, personal codes
bound to a real customer."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.promotions.codes import resolve
from tests.checkout_factories import Shop, make_shop

PROBLEM = "https://souk.dev/problems/"


def _promotion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Coffee lovers",
        "coupon_required": True,
        "conditions": {
            "categories": ["coffee"],
            "min_subtotal": {"amount": 2000, "currency": "EUR"},
        },
        "actions": [{"type": "percent_off", "target": "lines", "value": "10"}],
        "priority": 5,
        "stacking": "combinable",
        "usage_limit": 100,
        "per_customer_limit": 1,
    }
    body.update(changes)
    return body


def _count(admin: TestClient) -> int:
    return len(admin.get("/v1/promotions", params={"limit": 200}).json()["data"])


def test_a_promotion_is_created_read_listed_changed_and_retired(admin: TestClient) -> None:
    created = admin.post("/v1/promotions", json=_promotion())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("prm_")
    assert body["actions"] == [
        {"type": "percent_off", "target": "lines", "value": "10"}
        | dict.fromkeys(("currency", "buy", "get", "sku"))
    ]
    assert body["conditions"]["min_subtotal"] == {"amount": 2000, "currency": "EUR"}
    assert (body["times_used"], body["usage_limit"], body["stacking"]) == (0, 100, "combinable")

    assert admin.get(f"/v1/promotions/{body['id']}").json() == body
    assert [p["id"] for p in admin.get("/v1/promotions").json()["data"]] == [body["id"]]

    changed = admin.patch(f"/v1/promotions/{body['id']}", json={"active": False, "priority": 9})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["active"], changed.json()["priority"]) == (False, 9)
    assert admin.get("/v1/promotions", params={"active": "true"}).json()["data"] == []

    assert admin.delete(f"/v1/promotions/{body['id']}").status_code == 204
    gone = admin.get(f"/v1/promotions/{body['id']}")
    assert gone.status_code == 404 and gone.json()["type"] == PROBLEM + "not-found"


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ({"type": "percent_off", "target": "lines", "value": "101"}, "at most 100"),
        ({"type": "percent_off", "target": "lines", "value": "0"}, "more than 0"),
        ({"type": "percent_off", "target": "lines", "value": "ten"}, "not a decimal"),
        ({"type": "percent_off", "target": "shipping", "value": "10"}, "not shipping"),
        ({"type": "amount_off", "target": "order", "value": 500}, "currency"),
        ({"type": "amount_off", "target": "order", "value": "5", "currency": "EUR"}, "minor"),
        ({"type": "fixed_price", "target": "order", "value": 5, "currency": "EUR"}, "not order"),
        ({"type": "buy_x_get_y", "target": "lines", "buy": 2}, "buy` and `get"),
        ({"type": "gift_item", "target": "order"}, "sku"),
    ],
)
def test_an_action_that_contradicts_itself_is_refused_and_nothing_written(
    admin: TestClient, action: dict[str, Any], fragment: str
) -> None:
    response = admin.post("/v1/promotions", json=_promotion(actions=[action]))
    assert response.status_code == 422, response.text
    assert fragment in response.text
    assert _count(admin) == 0


def test_contradicting_actions_and_windows_are_refused(admin: TestClient) -> None:
    both = [
        {"type": "percent_off", "target": "lines", "value": "10"},
        {"type": "fixed_price", "target": "lines", "value": 500, "currency": "EUR"},
    ]
    assert "contradict" in admin.post("/v1/promotions", json=_promotion(actions=both)).text
    mixed = [
        {"type": "amount_off", "target": "order", "value": 500, "currency": "USD"},
        {"type": "free_shipping", "target": "shipping"},
    ]
    response = admin.post("/v1/promotions", json=_promotion(actions=mixed))
    assert response.status_code == 422 and "one currency" in response.text
    window = _promotion(starts_at="2027-01-02T00:00:00Z", ends_at="2027-01-01T00:00:00Z")
    response = admin.post("/v1/promotions", json=window)
    assert response.status_code == 422 and "after `starts_at`" in response.text
    for absurd in ({"usage_limit": 0}, {"priority": 10**9}, {"actions": []}):
        assert admin.post("/v1/promotions", json=_promotion(**absurd)).status_code == 422
    assert _count(admin) == 0


def test_codes_single_and_bulk_are_unique_and_exported_as_csv(admin: TestClient) -> None:
    pid = admin.post("/v1/promotions", json=_promotion()).json()["id"]
    one = admin.post(f"/v1/promotions/{pid}/codes", json={"code": "coffee10"})
    assert one.status_code == 201, one.text
    assert one.json() == {"promotion": pid, "codes": ["COFFEE10"]}
    again = admin.post(f"/v1/promotions/{pid}/codes", json={"code": "COFFEE10"})
    assert again.status_code == 409 and again.json()["type"] == PROBLEM + "already-exists"

    bulk = admin.post(f"/v1/promotions/{pid}/codes", json={"count": 50, "prefix": "xmas"})
    assert bulk.status_code == 201, bulk.text
    codes = bulk.json()["codes"]
    assert len(set(codes)) == 50 and all(c.startswith("XMAS-") for c in codes)

    exported = admin.get(f"/v1/promotions/{pid}/codes.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["code"] for r in rows} == {"COFFEE10", *codes}
    assert {r["usage_limit"] for r in rows if r["code"] != "COFFEE10"} == {"1"}

    both = admin.post(f"/v1/promotions/{pid}/codes", json={"code": "X1Y", "count": 2})
    assert both.status_code == 422
    missing = admin.post("/v1/promotions/prm_0000/codes", json={"code": "NOPE1"})
    assert missing.status_code == 404


def test_a_personal_code_is_only_the_customers(admin: TestClient, db: Database) -> None:
    shop: Shop = make_shop(admin, db)
    shop.channel("web")
    customer = shop.register("web", "ann@example.com")["customer"]["id"]
    other = shop.register("web", "bob@example.com")["customer"]["id"]
    pid = admin.post("/v1/promotions", json=_promotion()).json()["id"]

    issued = admin.post("/v1/coupons/personal", json={"promotion": pid, "customer": customer})
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    assert issued.json() == {"promotion": pid, "customer": customer, "code": code}
    unknown = admin.post("/v1/coupons/personal", json={"promotion": pid, "customer": "cus_0"})
    assert unknown.status_code == 404

    with UnitOfWork(db, write=False) as uow:
        mine, none = resolve(session=uow.session, codes=[code.lower()], customer_id=customer)
        theirs, problem = resolve(session=uow.session, codes=[code, "NOPE"], customer_id=other)
    assert mine == {code: pid} and none == []
    assert theirs == {}
    assert [(p.code, p.reason) for p in problem] == [
        (code, "this code belongs to another customer"),
        ("NOPE", "unknown code"),
    ]
