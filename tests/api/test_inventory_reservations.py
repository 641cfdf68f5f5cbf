"""Reservations through the admin API (external systems that must hold stock)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog_factories import make_channel, make_product
from tests.integration.inventory.factories import api_location, api_move


@pytest.fixture
def shop(admin: TestClient) -> TestClient:
    make_product(admin, "tee", skus=("TEE-M", "TEE-L"))
    api_location(admin, "wh-1")
    api_location(admin, "wh-2")
    make_channel(admin, "marketplace", type="marketplace", ship_from=["wh-1", "wh-2"])
    api_move(admin, "TEE-M", "wh-1", "receipt", 2)
    api_move(admin, "TEE-M", "wh-2", "receipt", 3)
    api_move(admin, "TEE-L", "wh-2", "receipt", 1)
    return admin


def _reserve(admin: TestClient, *lines: dict[str, Any], **extra: Any) -> Any:
    body = {"channel": "marketplace", "lines": list(lines), "expires_in_s": 900, **extra}
    return admin.post("/v1/inventory/reservations", json=body)


def _available(admin: TestClient, sku: str) -> int:
    total: int = admin.get(f"/v1/inventory/{sku}").json()["total"]["available"]
    return total


def test_a_reservation_holds_every_line(shop: TestClient) -> None:
    response = _reserve(
        shop, {"sku": "TEE-M", "quantity": 4}, {"sku": "TEE-L", "quantity": 1}, reference="amz-1"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("res_")
    assert (body["channel"], body["status"], body["reference"]) == (
        "marketplace",
        "active",
        "amz-1",
    )
    assert sorted((x["sku"], x["location"], x["quantity"]) for x in body["lines"]) == [
        ("TEE-L", "wh-2", 1),
        ("TEE-M", "wh-1", 2),
        ("TEE-M", "wh-2", 2),
    ]
    assert (_available(shop, "TEE-M"), _available(shop, "TEE-L")) == (1, 0)
    assert shop.get(f"/v1/inventory/reservations/{body['id']}").json() == body


def test_a_short_line_fails_the_whole_reservation_with_409(shop: TestClient) -> None:
    response = _reserve(shop, {"sku": "TEE-M", "quantity": 1}, {"sku": "TEE-L", "quantity": 2})
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "https://souk.dev/problems/out-of-stock"
    assert problem["lines"] == [{"sku": "TEE-L", "requested": 2, "available": 1}]
    assert (_available(shop, "TEE-M"), _available(shop, "TEE-L")) == (5, 1)


def test_delete_releases_at_once_and_again_is_harmless(shop: TestClient) -> None:
    reservation = _reserve(shop, {"sku": "TEE-M", "quantity": 5}).json()
    assert _available(shop, "TEE-M") == 0
    released = shop.delete(f"/v1/inventory/reservations/{reservation['id']}")
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    assert _available(shop, "TEE-M") == 5
    assert shop.delete(f"/v1/inventory/reservations/{reservation['id']}").status_code == 200
    assert _available(shop, "TEE-M") == 5
    assert shop.delete("/v1/inventory/reservations/res_nope").status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"channel": "nope"}, {"body.channel"}),
        ({"expires_in_s": 0}, {"body.expires_in_s"}),
        ({"lines": []}, {"body.lines"}),
        ({"lines": [{"sku": "TEE-M", "quantity": 0}]}, {"body.lines.0.quantity"}),
        ({"lines": [{"sku": "TEE-M", "quantity": -1}]}, {"body.lines.0.quantity"}),
        (
            {
                "lines": [
                    {"sku": "NOPE", "quantity": 1},
                    {"sku": "TEE-M", "quantity": 1, "location": "x"},
                ]
            },
            {"body.lines.0.sku", "body.lines.1.location"},
        ),
    ],
)
def test_bad_reservations_are_422_and_hold_nothing(
    shop: TestClient, body: dict[str, Any], fields: set[str]
) -> None:
    request = {"channel": "marketplace", "lines": [{"sku": "TEE-M", "quantity": 1}]}
    request["expires_in_s"] = 900
    response = shop.post("/v1/inventory/reservations", json={**request, **body})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == fields
    assert _available(shop, "TEE-M") == 5


def test_a_retry_with_the_same_idempotency_key_reserves_once(shop: TestClient) -> None:
    headers = {"Idempotency-Key": "amz-order-1"}
    line = {"sku": "TEE-M", "quantity": 2}
    first = shop.post(
        "/v1/inventory/reservations",
        json={"channel": "marketplace", "lines": [line], "expires_in_s": 60},
        headers=headers,
    )
    again = shop.post(
        "/v1/inventory/reservations",
        json={"channel": "marketplace", "lines": [line], "expires_in_s": 60},
        headers=headers,
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert _available(shop, "TEE-M") == 3
