"""Channels through the admin API: every type, strict codes, role boundaries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.catalog_factories import channel_body, make_channel, make_location


@pytest.fixture
def locations(admin: TestClient) -> None:
    """The locations the channels below ship from and offer pickup at (channels check them)."""
    for code, kind in (("wh-1", "warehouse"), ("wh-2", "warehouse"), ("st-1", "store")):
        body = {
            "code": code,
            "name": code,
            "type": kind,
            "address": {"country": "FR"},
            "lat": 48.85,
            "lon": 2.35,
            "can_pickup": kind == "store",
        }
        assert admin.post("/v1/locations", json=body).status_code == 201


def _create_storefront_key(admin: TestClient, channel: str) -> str:
    response = admin.post(
        "/v1/api-keys", json={"name": "shop", "role": "storefront", "channel": channel}
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


@pytest.mark.parametrize("kind", ["web", "app", "pos", "marketplace", "social", "messaging"])
@pytest.mark.usefixtures("locations")
def test_admin_creates_a_channel_of_every_type(admin: TestClient, kind: str) -> None:
    # given two warehouses, a store (the fixture), and a channel body of that type
    body = channel_body(f"ch-{kind}", type=kind, ship_from=["wh-1", "wh-2"], pickup_at=["st-1"])
    # when it is created
    response = admin.post("/v1/channels", json=body)
    # then it is stored as sent, with timestamps
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: v for k, v in created.items() if k not in ("created_at", "updated_at")} == body
    assert admin.get(f"/v1/channels/ch-{kind}").json() == created


def test_locales_are_stored_in_canonical_form(admin: TestClient) -> None:
    created = make_channel(admin, "ca", default_locale="fr_ca", locales=["fr_ca", "en-ca"])
    assert created["locales"] == ["fr-CA", "en-CA"]
    assert created["default_locale"] == "fr-CA"


def test_channels_list_pages_by_code(admin: TestClient) -> None:
    for code in ("web", "app", "pos-paris"):
        make_channel(admin, code)
    first = admin.get("/v1/channels", params={"limit": 2}).json()
    assert [c["code"] for c in first["data"]] == ["app", "pos-paris"]
    second = admin.get("/v1/channels", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["code"] for c in second["data"]] == ["web"]
    assert second["next_cursor"] is None


def test_duplicate_code_is_409_and_keeps_the_first(admin: TestClient) -> None:
    make_channel(admin, "web", name="First")
    again = admin.post("/v1/channels", json=channel_body("web", name="Second"))
    assert again.status_code == 409
    assert again.json()["type"] == "https://souk.dev/problems/already-exists"
    assert admin.get("/v1/channels/web").json()["name"] == "First"


def _errors(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_bad_codes_are_listed_field_by_field_and_nothing_is_written(admin: TestClient) -> None:
    body = channel_body(
        "web",
        default_currency="EUX",
        currencies=["EUR", "ZZZ"],
        default_locale="xx-YY",
        locales=["en", "tlh-QQ"],
        country="ZZ",
    )
    response = admin.post("/v1/channels", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert set(_errors(response)) == {
        "body.currencies.1",
        "body.default_currency",
        "body.default_locale",
        "body.locales.1",
        "body.country",
    }
    assert admin.get("/v1/channels").json()["data"] == []


def test_defaults_must_be_in_the_lists(admin: TestClient) -> None:
    response = admin.post(
        "/v1/channels",
        json=channel_body("web", default_currency="GBP", default_locale="de", currencies=["EUR"]),
    )
    assert response.status_code == 422
    assert _errors(response) == {
        "body.default_currency": "must be one of `currencies`",
        "body.default_locale": "must be one of `locales`",
    }


def test_wrong_types_and_unknown_fields_are_422(admin: TestClient) -> None:
    body = channel_body("Web!", type="fax", prices_include_tax="sometimes", extra=1)
    response = admin.post("/v1/channels", json=body)
    assert response.status_code == 422
    assert set(_errors(response)) == {
        "body.code",
        "body.type",
        "body.prices_include_tax",
        "body.extra",
    }


@pytest.mark.usefixtures("locations")
def test_patch_changes_only_what_is_sent_and_is_validated_whole(admin: TestClient) -> None:
    make_channel(admin, "web", ship_from=["wh-1"])
    changed = admin.patch(
        "/v1/channels/web", json={"name": "Web shop", "ship_from": ["wh-2", "wh-1"]}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["ship_from"], body["currencies"]) == (
        "Web shop",
        ["wh-2", "wh-1"],
        ["EUR", "USD", "JPY"],
    )
    # dropping the default currency from the list is refused, and nothing changes
    refused = admin.patch("/v1/channels/web", json={"currencies": ["USD"], "name": "X"})
    assert refused.status_code == 422
    assert admin.get("/v1/channels/web").json()["name"] == "Web shop"


def test_patch_refuses_null_for_required_fields(admin: TestClient) -> None:
    make_channel(admin, "web")
    response = admin.patch("/v1/channels/web", json={"name": None})
    assert response.status_code == 422


def test_unknown_channel_is_404(admin: TestClient) -> None:
    assert admin.get("/v1/channels/nope").status_code == 404
    assert admin.patch("/v1/channels/nope", json={"name": "x"}).status_code == 404


def test_channels_need_an_admin_key(client: TestClient, admin: TestClient) -> None:
    make_channel(admin, "web")
    storefront = _create_storefront_key(admin, "web")
    del client.headers["Authorization"]
    assert client.get("/v1/channels").status_code == 401
    assert client.post("/v1/channels", json=channel_body("app")).status_code == 401
    as_shop = {"Authorization": f"Bearer {storefront}"}
    assert client.get("/v1/channels", headers=as_shop).status_code == 403
    assert client.post("/v1/channels", json=channel_body("app"), headers=as_shop).status_code == 403
    assert client.patch("/v1/channels/web", json={"name": "x"}, headers=as_shop).status_code == 403
    # a publishable key in its own header is not an admin credential either
    assert client.get("/v1/channels", headers={"X-Publishable-Key": storefront}).status_code == 401


def test_ship_from_and_pickup_locations_must_exist_and_fit_their_role(admin: TestClient) -> None:
    make_location(admin, "wh-1")
    make_location(admin, "store-paris", "store")
    body = channel_body(
        "web", ship_from=["wh-1", "nope", "wh-1"], pickup_at=["wh-1", "store-paris"]
    )
    response = admin.post("/v1/channels", json=body)
    assert response.status_code == 422
    assert _errors(response) == {
        "body.ship_from": "lists a location twice",
        "body.ship_from.1": "unknown location 'nope'",
        "body.pickup_at.0": "'wh-1' is not a pickup point",
    }
    assert admin.get("/v1/channels/web").status_code == 404
    patched = admin.post("/v1/channels", json=channel_body("web", ship_from=["wh-1"]))
    assert patched.status_code == 201
    refused = admin.patch("/v1/channels/web", json={"ship_from": ["store-paris"]})
    assert _errors(refused) == {"body.ship_from.0": "'store-paris' does not ship to customers"}
    assert admin.get("/v1/channels/web").json()["ship_from"] == ["wh-1"]
