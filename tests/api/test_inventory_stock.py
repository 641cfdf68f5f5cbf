"""Stock, the movement ledger and counts through the admin API; bad input writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog_factories import channel_body, make_product
from tests.integration.inventory.factories import api_location, api_move


@pytest.fixture
def stocked(admin: TestClient) -> TestClient:
    """TEE-M and TEE-L exist; wh-1 and st-1 are locations; vendor-1 is a drop-ship vendor."""
    make_product(admin, "tee", skus=("TEE-M", "TEE-L"))
    api_location(admin, "wh-1")
    api_location(admin, "st-1", type="store")
    api_location(admin, "vendor-1", type="dropship")
    return admin


def _stock(admin: TestClient, sku: str) -> dict[str, Any]:
    response = admin.get(f"/v1/inventory/{sku}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ledger(admin: TestClient, sku: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = admin.get(f"/v1/inventory/{sku}/movements").json()["data"]
    return data


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_a_receipt_puts_units_on_hand_and_in_the_ledger(stocked: TestClient) -> None:
    # when 10 units are received at wh-1
    response = api_move(stocked, "TEE-M", "wh-1", "receipt", 10, reference="PO-7")
    # then the movement is answered, and the stock shows them available
    assert response.status_code == 201, response.text
    movement = response.json()
    assert movement["id"].startswith("mov_")
    assert {k: movement[k] for k in ("sku", "location", "type", "quantity", "reference")} == {
        "sku": "TEE-M",
        "location": "wh-1",
        "type": "receipt",
        "quantity": 10,
        "reference": "PO-7",
    }
    assert movement["on_hand_after"] == 10
    figures = {
        "on_hand": 10,
        "reserved": 0,
        "allocated": 0,
        "safety_stock": 0,
        "inbound": 0,
        "available": 10,
    }
    assert _stock(stocked, "TEE-M") == {
        "sku": "TEE-M",
        "total": figures,
        "locations": [{"location": "wh-1", **figures}],
    }


def test_a_count_sets_on_hand_and_records_the_difference_even_while_reserved(
    stocked: TestClient,
) -> None:
    # given 10 on hand, 4 of them reserved
    stocked.post("/v1/channels", json=_channel("web", ["wh-1"]))
    api_move(stocked, "TEE-M", "wh-1", "receipt", 10)
    held = stocked.post(
        "/v1/inventory/reservations",
        json={"channel": "web", "lines": [{"sku": "TEE-M", "quantity": 4}], "expires_in_s": 600},
    )
    assert held.status_code == 201, held.text
    # when a shelf scan counts 3
    counted = api_move(stocked, "TEE-M", "wh-1", "count", 3, reason="RFID scan")
    # then on hand is 3, the difference -7 is its own movement, and available shows 0
    assert counted.status_code == 201, counted.text
    assert (counted.json()["quantity"], counted.json()["on_hand_after"]) == (-7, 3)
    location = _stock(stocked, "TEE-M")["locations"][0]
    assert (location["on_hand"], location["reserved"], location["available"]) == (3, 4, 0)
    ledger = _ledger(stocked, "TEE-M")
    assert [(m["type"], m["quantity"]) for m in ledger] == [("receipt", 10), ("count", -7)]
    # invariant 2: on hand is the sum of the ledger
    assert sum(m["quantity"] for m in ledger) == location["on_hand"]


def test_damage_and_adjustments_move_on_hand_both_ways(stocked: TestClient) -> None:
    api_move(stocked, "TEE-M", "wh-1", "receipt", 5)
    assert api_move(stocked, "TEE-M", "wh-1", "damage", 2).json()["quantity"] == -2
    assert api_move(stocked, "TEE-M", "wh-1", "adjustment", -1).json()["on_hand_after"] == 2
    assert api_move(stocked, "TEE-M", "wh-1", "adjustment", 4).json()["on_hand_after"] == 6
    assert _stock(stocked, "TEE-M")["total"]["on_hand"] == 6


def test_safety_stock_is_never_promised(stocked: TestClient) -> None:
    api_move(stocked, "TEE-M", "wh-1", "receipt", 5)
    response = stocked.patch("/v1/inventory/TEE-M/locations/wh-1", json={"safety_stock": 2})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "location": "wh-1",
        "on_hand": 5,
        "reserved": 0,
        "allocated": 0,
        "safety_stock": 2,
        "inbound": 0,
        "available": 3,
    }


@pytest.mark.parametrize(
    ("type", "quantity", "field"),
    [
        ("receipt", 0, "body.quantity"),
        ("receipt", -3, "body.quantity"),
        ("damage", -1, "body.quantity"),
        ("adjustment", 0, "body.quantity"),
        ("count", -1, "body.quantity"),
        ("sale", 1, "body.type"),
    ],
)
def test_meaningless_quantities_are_422_and_write_nothing(
    stocked: TestClient, type: str, quantity: int, field: str
) -> None:
    api_move(stocked, "TEE-M", "wh-1", "receipt", 5)
    response = api_move(stocked, "TEE-M", "wh-1", type, quantity)
    assert response.status_code == 422
    assert response.json()["type"] == "https://souk.dev/problems/validation-error"
    assert _fields(response) == {field}
    assert len(_ledger(stocked, "TEE-M")) == 1


def test_unknown_sku_and_location_are_both_listed(stocked: TestClient) -> None:
    response = api_move(stocked, "NOPE", "nowhere", "receipt", 1)
    assert response.status_code == 422
    assert _fields(response) == {"body.sku", "body.location"}


def test_a_dropship_vendor_cannot_receive_stock(stocked: TestClient) -> None:
    response = api_move(stocked, "TEE-M", "vendor-1", "receipt", 5)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "body.location",
            "message": "'vendor-1' is a drop-ship vendor: it cannot receive stock",
        }
    ]
    assert _stock(stocked, "TEE-M")["locations"] == []


def test_taking_more_than_is_on_hand_is_409_and_writes_nothing(stocked: TestClient) -> None:
    api_move(stocked, "TEE-M", "wh-1", "receipt", 2)
    response = api_move(stocked, "TEE-M", "wh-1", "damage", 3)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "On hand of TEE-M at wh-1 is 2: taking 3 would leave it below zero"
    )
    assert _stock(stocked, "TEE-M")["total"]["on_hand"] == 2
    assert len(_ledger(stocked, "TEE-M")) == 1


def test_unknown_sku_reads_are_404(stocked: TestClient) -> None:
    assert stocked.get("/v1/inventory/NOPE").status_code == 404
    assert stocked.get("/v1/inventory/NOPE/movements").status_code == 404


def test_the_ledger_pages_oldest_first(stocked: TestClient) -> None:
    for quantity in (1, 2, 3):
        api_move(stocked, "TEE-L", "wh-1", "receipt", quantity)
    first = stocked.get("/v1/inventory/TEE-L/movements", params={"limit": 2}).json()
    second = stocked.get(
        "/v1/inventory/TEE-L/movements", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [m["quantity"] for m in first["data"] + second["data"]] == [1, 2, 3]
    assert second["next_cursor"] is None


def test_a_pos_key_reads_its_own_store_only(stocked: TestClient) -> None:
    stocked.post("/v1/channels", json=_channel("pos-1", [], type="pos"))
    key = stocked.post(
        "/v1/api-keys", json={"name": "till", "role": "pos", "channel": "pos-1", "location": "st-1"}
    ).json()["key"]
    api_move(stocked, "TEE-M", "wh-1", "receipt", 5)
    api_move(stocked, "TEE-M", "st-1", "receipt", 2)
    pos = {"Authorization": f"Bearer {key}"}
    mine = stocked.get("/v1/inventory/TEE-M", headers=pos).json()
    assert [loc["location"] for loc in mine["locations"]] == ["st-1"]
    other = stocked.get("/v1/inventory/TEE-M", params={"location": "wh-1"}, headers=pos)
    assert other.status_code == 403
    refused = stocked.post(
        "/v1/inventory/movements",
        json={"sku": "TEE-M", "location": "st-1", "type": "receipt", "quantity": 1},
        headers=pos,
    )
    assert refused.status_code == 403


def _channel(code: str, ship_from: list[str], type: str = "web") -> dict[str, Any]:
    return channel_body(code, type=type, ship_from=ship_from)
