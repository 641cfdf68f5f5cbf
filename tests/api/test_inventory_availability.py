"""Storefront availability: ATP per channel with buffers, bulk, and pickup stores nearby."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog_factories import make_product
from tests.integration.inventory.factories import api_location, api_move, api_store, shop


@pytest.fixture
def storefront(admin: TestClient) -> dict[str, str]:
    """A web channel shipping from two warehouses, with two Paris stores for pickup."""
    make_product(admin, "tee", skus=("TEE-M", "TEE-L"))
    make_product(admin, "cap", skus=("CAP",))
    api_location(admin, "wh-1")
    api_location(admin, "wh-2")
    api_store(admin, "st-louvre", 48.8606, 2.3376, name="Louvre")
    api_store(admin, "st-bastille", 48.8532, 2.3691, name="Bastille")
    api_store(admin, "st-lyon", 45.7640, 4.8357, name="Lyon")
    api_move(admin, "TEE-M", "wh-1", "receipt", 7)
    api_move(admin, "TEE-M", "wh-2", "receipt", 3)
    api_move(admin, "TEE-M", "st-louvre", "receipt", 2)
    api_move(admin, "CAP", "wh-1", "receipt", 1)
    return shop(
        admin,
        ship_from=["wh-1", "wh-2"],
        pickup_at=["st-louvre", "st-bastille", "st-lyon"],
    )


def test_atp_sums_the_ship_from_locations_only(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    response = admin.get("/v1/availability", params={"sku": "TEE-M"}, headers=storefront)
    assert response.status_code == 200, response.text
    # the 2 units in the Louvre store count only through /nearby
    assert response.json() == {"sku": "TEE-M", "channel": "web", "available": 10}


def test_a_sku_without_stock_is_0_and_an_unknown_one_404(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    zero = admin.get("/v1/availability", params={"sku": "TEE-L"}, headers=storefront)
    assert zero.json() == {"sku": "TEE-L", "channel": "web", "available": 0}
    assert (
        admin.get("/v1/availability", params={"sku": "NOPE"}, headers=storefront).status_code == 404
    )


def test_availability_needs_a_publishable_key(client: TestClient) -> None:
    response = client.get("/v1/availability", params={"sku": "TEE-M"})
    assert response.status_code == 401


def test_bulk_availability_answers_many_skus_at_once(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    response = admin.get(
        "/v1/availability/bulk",
        params=[("sku", "CAP"), ("sku", "TEE-M"), ("sku", "NOPE"), ("sku", "TEE-L")],
        headers=storefront,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "channel": "web",
        "data": [
            {"sku": "CAP", "channel": "web", "available": 1},
            {"sku": "TEE-M", "channel": "web", "available": 10},
            {"sku": "TEE-L", "channel": "web", "available": 0},
        ],
        "unknown": ["NOPE"],
    }
    posted = admin.post(
        "/v1/availability/query",
        json={"skus": ["CAP", "TEE-M", "NOPE", "TEE-L"]},
        headers=storefront,
    )
    assert posted.json() == response.json()


def _atp(admin: TestClient, headers: dict[str, str], sku: str) -> int:
    available: int = admin.get("/v1/availability", params={"sku": sku}, headers=headers).json()[
        "available"
    ]
    return available


def _buffers(admin: TestClient, body: dict[str, Any]) -> Any:
    return admin.put("/v1/channels/web/buffers", json=body)


def test_a_channel_buffer_withholds_units_from_atp(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    # given a channel-wide buffer of 2 units and 50% on the cap
    response = _buffers(admin, {"units": 2, "products": [{"handle": "cap", "percent": "50"}]})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "channel": "web",
        "units": 2,
        "percent": None,
        "products": [{"handle": "cap", "units": None, "percent": "50.00"}],
    }
    assert admin.get("/v1/channels/web/buffers").json() == response.json()
    # then the tee shows 10 - 2, and the cap's last unit is withheld (50% rounded up)
    assert _atp(admin, storefront, "TEE-M") == 8
    assert _atp(admin, storefront, "CAP") == 0
    # a percentage buffer for the whole channel
    _buffers(admin, {"percent": "25"})
    assert _atp(admin, storefront, "TEE-M") == 7
    # and none
    _buffers(admin, {})
    assert _atp(admin, storefront, "TEE-M") == 10


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"units": -1}, {"body.units"}),
        ({"percent": "101"}, {"body.percent"}),
        ({"units": 1, "percent": "5"}, {"body"}),
        ({"products": [{"handle": "cap"}]}, {"body.products.0"}),
        ({"products": [{"handle": "nope", "units": 1}]}, {"body.products.0.handle"}),
    ],
)
def test_bad_buffers_are_422_and_change_nothing(
    admin: TestClient, storefront: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    _buffers(admin, {"units": 1})
    response = _buffers(admin, body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == fields
    assert admin.get("/v1/channels/web/buffers").json()["units"] == 1


def test_buffers_of_an_unknown_channel_are_404(admin: TestClient) -> None:
    assert admin.put("/v1/channels/nope/buffers", json={"units": 1}).status_code == 404


def test_nearby_lists_pickup_stores_nearest_first_with_availability(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    response = admin.get(
        "/v1/availability/nearby",
        params={"sku": "TEE-M", "lat": 48.8566, "lon": 2.3522, "radius_km": 25},
        headers=storefront,
    )
    assert response.status_code == 200, response.text
    assert [(s["location"], s["name"], s["available"]) for s in response.json()] == [
        ("st-louvre", "Louvre", 2),
        ("st-bastille", "Bastille", 0),
    ]
    assert [round(s["distance_km"], 1) for s in response.json()] == [1.2, 1.3]


def test_nearby_refuses_bad_coordinates(admin: TestClient, storefront: dict[str, str]) -> None:
    response = admin.get(
        "/v1/availability/nearby",
        params={"sku": "TEE-M", "lat": 91, "lon": 2.35, "radius_km": 0},
        headers=storefront,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"query.lat", "query.radius_km"}


def test_a_channel_without_a_pickup_list_offers_every_pickup_store(
    admin: TestClient, storefront: dict[str, str]
) -> None:
    # given a channel that names ship-from locations but no pickup stores, and a store
    # nearby that is not a pickup point
    api_location(admin, "st-back-office", type="store", lat=48.857, lon=2.353)
    app_headers = shop(admin, ship_from=["wh-1"], code="app")
    # when a shopper of that channel looks near the Hôtel de Ville
    response = admin.get(
        "/v1/availability/nearby",
        params={"sku": "TEE-M", "lat": 48.8566, "lon": 2.3522},
        headers=app_headers,
    )
    # then every pickup point in range is offered, and only those
    assert [s["location"] for s in response.json()] == ["st-louvre", "st-bastille"]
    # while the web channel offers only the stores it lists
    api_store(admin, "st-marais", 48.8590, 2.3600)
    listed = admin.get(
        "/v1/availability/nearby",
        params={"sku": "TEE-M", "lat": 48.8566, "lon": 2.3522},
        headers=storefront,
    )
    assert [s["location"] for s in listed.json()] == ["st-louvre", "st-bastille"]
