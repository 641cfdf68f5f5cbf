"""Locations through the admin API, "near me" by distance, and channels checking them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.catalog_factories import channel_body
from tests.integration.inventory.factories import api_location, api_store, location_body


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_admin_creates_a_location_and_reads_it_back(admin: TestClient) -> None:
    # given a warehouse body
    body = location_body("wh-paris", daily_capacity=400)
    # when it is created
    created = admin.post("/v1/locations", json=body)
    # then it is stored as sent
    assert created.status_code == 201, created.text
    assert created.json() == {
        "code": "wh-paris",
        "name": "Wh Paris",
        "type": "warehouse",
        "address": {
            "line1": "1 rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
        },
        "lat": 48.8566,
        "lon": 2.3522,
        "timezone": "Europe/Paris",
        "can_ship": True,
        "can_pickup": False,
        "accepts_returns": False,
        "daily_capacity": 400,
        "distance_km": None,
    }
    assert admin.get("/v1/locations/wh-paris").json() == created.json()


def test_a_second_location_with_the_same_code_is_409(admin: TestClient) -> None:
    api_location(admin, "wh-1", name="First")
    again = admin.post("/v1/locations", json=location_body("wh-1", name="Second"))
    assert again.status_code == 409
    assert again.json()["type"] == "https://souk.dev/problems/already-exists"
    assert admin.get("/v1/locations/wh-1").json()["name"] == "First"


def test_bad_location_lists_every_bad_field_and_writes_nothing(admin: TestClient) -> None:
    body = location_body(
        "Bad Code", type="castle", lat=91, lon=-181, timezone="Mars/Olympus", daily_capacity=-1
    )
    body["address"]["country"] = "france"
    response = admin.post("/v1/locations", json=body)
    assert response.status_code == 422
    assert _fields(response) == {
        "body.code",
        "body.type",
        "body.lat",
        "body.lon",
        "body.timezone",
        "body.daily_capacity",
        "body.address.country",
    }
    assert admin.get("/v1/locations").json() == {"data": [], "next_cursor": None}


def test_a_dropship_vendor_is_no_pickup_point(admin: TestClient) -> None:
    response = admin.post(
        "/v1/locations",
        json=location_body("vendor-1", type="dropship", can_pickup=True, accepts_returns=True),
    )
    assert response.status_code == 422
    assert _fields(response) == {"body.can_pickup", "body.accepts_returns"}
    assert admin.get("/v1/locations/vendor-1").status_code == 404


def test_patch_changes_only_what_is_sent(admin: TestClient) -> None:
    api_location(admin, "st-1", type="store")
    changed = admin.patch("/v1/locations/st-1", json={"name": "Rivoli", "can_pickup": True})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["can_pickup"], body["type"], body["lat"]) == (
        "Rivoli",
        True,
        "store",
        48.8566,
    )
    assert admin.patch("/v1/locations/nope", json={"name": "X"}).status_code == 404


def test_locations_near_a_point_are_sorted_by_great_circle_distance(admin: TestClient) -> None:
    # given stores around Paris and one in Lyon
    api_store(admin, "st-louvre", 48.8606, 2.3376)  # ~1.2 km from the point
    api_store(admin, "st-bastille", 48.8532, 2.3691)  # ~1.3 km
    api_store(admin, "st-versailles", 48.8049, 2.1204)  # ~17.9 km
    api_store(admin, "st-lyon", 45.7640, 4.8357)  # ~392 km
    # when we ask for those within 20 km of the Hôtel de Ville
    page = admin.get("/v1/locations", params={"near": "48.8566,2.3522", "radius_km": 20}).json()
    # then the nearest come first, each with its distance, and Lyon is not there
    got = [(loc["code"], loc["distance_km"]) for loc in page["data"]]
    assert [code for code, _ in got] == ["st-louvre", "st-bastille", "st-versailles"]
    assert [round(d, 1) for _, d in got] == [1.2, 1.3, 17.9]
    assert page["next_cursor"] is None


def test_near_pages_keep_distance_order(admin: TestClient) -> None:
    for i in range(5):
        api_store(admin, f"st-{i}", 48.85 + i * 0.01, 2.35)
    first = admin.get("/v1/locations", params={"near": "48.85,2.35", "limit": 2}).json()
    second = admin.get(
        "/v1/locations", params={"near": "48.85,2.35", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = admin.get(
        "/v1/locations",
        params={"near": "48.85,2.35", "limit": 2, "cursor": second["next_cursor"]},
    ).json()
    codes = [loc["code"] for page in (first, second, third) for loc in page["data"]]
    assert codes == ["st-0", "st-1", "st-2", "st-3", "st-4"]
    assert third["next_cursor"] is None


def test_a_malformed_near_is_422(admin: TestClient) -> None:
    response = admin.get("/v1/locations", params={"near": "paris"})
    assert response.status_code == 422
    assert _fields(response) == {"query.near"}


def test_channels_check_their_ship_from_and_pickup_locations(admin: TestClient) -> None:
    # given a warehouse that ships and a store that does not offer pickup
    api_location(admin, "wh-1")
    api_location(admin, "st-1", type="store", can_ship=False, can_pickup=False)
    # when a channel names them in the wrong roles, and a location that does not exist
    response = admin.post(
        "/v1/channels",
        json=channel_body("web", ship_from=["wh-1", "st-1", "ghost"], pickup_at=["st-1"]),
    )
    # then each bad code is a field error, and no channel is created
    assert response.status_code == 422
    assert _fields(response) == {"body.ship_from.1", "body.ship_from.2", "body.pickup_at.0"}
    assert admin.get("/v1/channels/web").status_code == 404


def test_a_pos_key_binds_to_an_existing_location_only(admin: TestClient) -> None:
    api_location(admin, "st-1", type="store")
    admin.post("/v1/channels", json=channel_body("pos-1", type="pos"))
    ok = admin.post(
        "/v1/api-keys", json={"name": "till", "role": "pos", "channel": "pos-1", "location": "st-1"}
    )
    assert ok.status_code == 201, ok.text
    bad = admin.post(
        "/v1/api-keys", json={"name": "till", "role": "pos", "channel": "pos-1", "location": "st-9"}
    )
    assert bad.status_code == 422
    assert _fields(bad) == {"body.location"}


def test_locations_need_an_admin_key(client: TestClient) -> None:
    assert client.post("/v1/locations", json=location_body("wh-1")).status_code == 401


def test_patch_refuses_null_for_required_fields(admin: TestClient) -> None:
    api_location(admin, "st-1", type="store")
    response = admin.patch("/v1/locations/st-1", json={"name": None, "can_ship": None})
    assert response.status_code == 422
    assert _fields(response) == {"body.name", "body.can_ship"}
