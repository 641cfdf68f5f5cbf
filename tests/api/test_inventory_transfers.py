"""Transfers through the admin API: requested → shipped (inbound) → received."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog_factories import make_product
from tests.integration.inventory.factories import api_location, api_move


@pytest.fixture
def stocked(admin: TestClient) -> TestClient:
    make_product(admin, "tee", skus=("TEE-M",))
    api_location(admin, "wh-1")
    api_location(admin, "st-1", type="store")
    api_location(admin, "vendor-1", type="dropship")
    api_move(admin, "TEE-M", "wh-1", "receipt", 10)
    return admin


def _at(admin: TestClient, location: str) -> dict[str, Any]:
    rows = admin.get("/v1/inventory/TEE-M").json()["locations"]
    found: dict[str, Any] = next(r for r in rows if r["location"] == location)
    return {k: found[k] for k in ("on_hand", "allocated", "inbound", "available")}


def _transfer(admin: TestClient, **changes: Any) -> Any:
    body = {"sku": "TEE-M", "from": "wh-1", "to": "st-1", "quantity": 4, **changes}
    return admin.post("/v1/inventory/transfers", json=body)


def test_a_transfer_moves_stock_through_inbound(stocked: TestClient) -> None:
    # when 4 units are requested from wh-1 to st-1
    requested = _transfer(stocked, reference="replenish-7")
    assert requested.status_code == 201, requested.text
    body = requested.json()
    transfer_id = body["id"]
    assert transfer_id.startswith("trf_")
    assert {k: body[k] for k in ("sku", "from", "to", "quantity", "status", "reference")} == {
        "sku": "TEE-M",
        "from": "wh-1",
        "to": "st-1",
        "quantity": 4,
        "status": "requested",
        "reference": "replenish-7",
    }
    # then they are committed at wh-1 and cannot be sold there
    assert _at(stocked, "wh-1") == {"on_hand": 10, "allocated": 4, "inbound": 0, "available": 6}
    # when shipped: off wh-1's shelf, inbound at st-1
    shipped = stocked.post(f"/v1/inventory/transfers/{transfer_id}/ship")
    assert shipped.json()["status"] == "shipped"
    assert _at(stocked, "wh-1") == {"on_hand": 6, "allocated": 0, "inbound": 0, "available": 6}
    assert _at(stocked, "st-1") == {"on_hand": 0, "allocated": 0, "inbound": 4, "available": 0}
    # when received: on hand at st-1
    received = stocked.post(f"/v1/inventory/transfers/{transfer_id}/receive")
    assert received.json()["status"] == "received"
    assert received.json()["received_at"] is not None
    assert _at(stocked, "st-1") == {"on_hand": 4, "allocated": 0, "inbound": 0, "available": 4}
    ledger = stocked.get("/v1/inventory/TEE-M/movements").json()["data"]
    assert [(m["type"], m["location"], m["quantity"], m["reference"]) for m in ledger[1:]] == [
        ("transfer_out", "wh-1", -4, transfer_id),
        ("transfer_in", "st-1", 4, transfer_id),
    ]


def test_a_step_out_of_order_is_409(stocked: TestClient) -> None:
    transfer_id = _transfer(stocked).json()["id"]
    early = stocked.post(f"/v1/inventory/transfers/{transfer_id}/receive")
    assert early.status_code == 409
    assert early.json()["type"] == "https://souk.dev/problems/invalid-state"
    stocked.post(f"/v1/inventory/transfers/{transfer_id}/ship")
    assert stocked.post(f"/v1/inventory/transfers/{transfer_id}/ship").status_code == 409
    assert stocked.post(f"/v1/inventory/transfers/{transfer_id}/cancel").status_code == 409
    assert _at(stocked, "st-1")["inbound"] == 4


def test_a_cancelled_transfer_frees_its_units(stocked: TestClient) -> None:
    transfer_id = _transfer(stocked).json()["id"]
    cancelled = stocked.post(f"/v1/inventory/transfers/{transfer_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert _at(stocked, "wh-1") == {"on_hand": 10, "allocated": 0, "inbound": 0, "available": 10}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"to": "wh-1"}, {"body.to"}),
        ({"to": "vendor-1"}, {"body.to"}),
        ({"sku": "NOPE", "to": "nowhere"}, {"body.sku", "body.to"}),
        ({"quantity": 0}, {"body.quantity"}),
        ({"quantity": -2}, {"body.quantity"}),
    ],
)
def test_bad_transfers_are_422_and_write_nothing(
    stocked: TestClient, changes: dict[str, Any], fields: set[str]
) -> None:
    response = _transfer(stocked, **changes)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == fields
    assert _at(stocked, "wh-1")["allocated"] == 0


def test_a_transfer_of_more_than_is_available_is_409(stocked: TestClient) -> None:
    response = _transfer(stocked, quantity=11)
    assert response.status_code == 409
    assert response.json()["lines"] == [
        {"sku": "TEE-M", "location": "wh-1", "requested": 11, "available": 10}
    ]
    assert stocked.get("/v1/inventory/transfers/trf_nope").status_code == 404
