"""Prices and tax rates through the admin API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.catalog_factories import make_channel, make_product, set_prices


def _setup(admin: TestClient) -> None:
    make_channel(admin, "web", currencies=["EUR", "USD"])
    make_channel(admin, "app", currencies=["EUR", "USD"])
    make_channel(admin, "pos-tokyo", default_currency="JPY", currencies=["JPY"], country="JP")
    make_product(admin, "tee", ("T-S", "T-M"))


def _errors(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_put_prices_upserts_and_reads_back(admin: TestClient) -> None:
    _setup(admin)
    body = [
        {"sku": "T-S", "currency": "EUR", "amount": 1999},
        {"sku": "T-S", "currency": "JPY", "amount": 2980},
        {"sku": "T-S", "currency": "EUR", "amount": 1799, "channel": "app"},
    ]
    assert set_prices(admin, body) == [{**p, "channel": p.get("channel")} for p in body]
    # a second PUT changes the amount in place
    set_prices(admin, [{"sku": "T-S", "currency": "EUR", "amount": 2099}])
    assert admin.get("/v1/prices", params={"sku": "T-S"}).json() == [
        {"sku": "T-S", "currency": "EUR", "amount": 2099, "channel": None},
        {"sku": "T-S", "currency": "EUR", "amount": 1799, "channel": "app"},
        {"sku": "T-S", "currency": "JPY", "amount": 2980, "channel": None},
    ]


def test_bad_prices_are_all_reported_and_none_is_saved(admin: TestClient) -> None:
    _setup(admin)
    response = admin.put(
        "/v1/prices",
        json=[
            {"sku": "T-S", "currency": "EUR", "amount": 1000},  # fine, but not saved
            {"sku": "NOPE", "currency": "EUR", "amount": 1000},
            {"sku": "T-M", "currency": "ZZZ", "amount": 1000},
            {"sku": "T-M", "currency": "EUR", "amount": 1000, "channel": "nope"},
            {"sku": "T-M", "currency": "JPY", "amount": 1000, "channel": "web"},
            {"sku": "T-S", "currency": "EUR", "amount": 1100},
        ],
    )
    assert response.status_code == 422
    assert _errors(response) == {
        "body.1.sku": "unknown SKU 'NOPE'",
        "body.2.currency": "not an ISO 4217 currency code",
        "body.3.channel": "unknown channel 'nope'",
        "body.4.currency": "channel 'web' does not sell in JPY",
        "body.5": "this SKU, currency and channel are given twice",
    }
    assert admin.get("/v1/prices", params={"sku": "T-S"}).json() == []


def test_malformed_prices_are_422(admin: TestClient) -> None:
    _setup(admin)
    cases: list[Any] = [
        [{"sku": "T-S", "currency": "EUR", "amount": -1}],
        [{"sku": "T-S", "currency": "EUR", "amount": 19.99}],
        [{"sku": "T-S", "currency": "EUR", "amount": "1999"}],
        [{"sku": "T-S", "currency": "EURO", "amount": 1}],
        [{"sku": "T-S", "amount": 1}],
        [],
        {"sku": "T-S", "currency": "EUR", "amount": 1},
    ]
    for body in cases:
        response = admin.put("/v1/prices", json=body)
        assert response.status_code == 422, body
    assert admin.get("/v1/prices", params={"sku": "T-S"}).json() == []
    assert admin.get("/v1/prices", params={"sku": "NOPE"}).status_code == 404


def test_inconsistencies_list_every_differing_channel_price(admin: TestClient) -> None:
    _setup(admin)
    set_prices(
        admin,
        [
            {"sku": "T-S", "currency": "EUR", "amount": 1999},
            {"sku": "T-S", "currency": "EUR", "amount": 1799, "channel": "app"},
            {"sku": "T-M", "currency": "EUR", "amount": 1999},
            # an override equal to the base price is no inconsistency
            {"sku": "T-M", "currency": "EUR", "amount": 1999, "channel": "web"},
            {"sku": "T-M", "currency": "USD", "amount": 2500, "channel": "web"},
            {"sku": "T-M", "currency": "USD", "amount": 2400, "channel": "app"},
        ],
    )
    report = admin.get("/v1/prices/inconsistencies").json()
    assert report == {
        "data": [
            {
                "sku": "T-M",
                "currency": "USD",
                "base": None,
                "prices": [
                    {"channel": "app", "amount": 2400, "source": "override"},
                    {"channel": "web", "amount": 2500, "source": "override"},
                ],
            },
            {
                "sku": "T-S",
                "currency": "EUR",
                "base": 1999,
                "prices": [
                    {"channel": "app", "amount": 1799, "source": "override"},
                    {"channel": "web", "amount": 1999, "source": "base"},
                ],
            },
        ],
        "next_cursor": None,
    }
    first = admin.get("/v1/prices/inconsistencies", params={"limit": 1}).json()
    assert [i["sku"] for i in first["data"]] == ["T-M"]
    rest = admin.get(
        "/v1/prices/inconsistencies", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert ([i["sku"] for i in rest["data"]], rest["next_cursor"]) == (["T-S"], None)
    # removing the override brings the channel back in line
    removed = admin.delete("/v1/prices", params={"sku": "T-S", "currency": "EUR", "channel": "app"})
    assert removed.status_code == 204
    assert [i["sku"] for i in admin.get("/v1/prices/inconsistencies").json()["data"]] == ["T-M"]
    again = admin.delete("/v1/prices", params={"sku": "T-S", "currency": "EUR", "channel": "app"})
    assert again.status_code == 404


def test_tax_rates_are_created_once_and_listed(admin: TestClient) -> None:
    created = admin.post("/v1/tax-rates", json={"country": "FR", "rate": "0.20", "name": "TVA"})
    assert created.status_code == 201
    assert {k: v for k, v in created.json().items() if k != "updated_at"} == {
        "country": "FR",
        "region": None,
        "category": None,
        "rate": "0.20",
        "name": "TVA",
    }
    books = admin.post(
        "/v1/tax-rates", json={"country": "FR", "category": "books", "rate": "0.055"}
    )
    assert books.json()["rate"] == "0.055"
    admin.post("/v1/tax-rates", json={"country": "US", "region": "NY", "rate": "0.08875"})
    duplicate = admin.post("/v1/tax-rates", json={"country": "FR", "rate": "0.21"})
    assert duplicate.status_code == 409
    listed = admin.get("/v1/tax-rates", params={"country": "FR"}).json()
    assert [(r["category"], r["rate"]) for r in listed] == [(None, "0.20"), ("books", "0.055")]
    assert [r["rate"] for r in admin.get("/v1/tax-rates").json()] == ["0.20", "0.055", "0.08875"]


def test_bad_tax_rates_are_422(admin: TestClient) -> None:
    for body in (
        {"country": "FR", "rate": 0.2},
        {"country": "FR", "rate": "1.5"},
        {"country": "FR", "rate": "-0.1"},
        {"country": "FR", "rate": "0.123456"},
        {"country": "ZZ", "rate": "0.2"},
        {"country": "FR"},
        {"country": "FR", "rate": "0.2", "region": "new york"},
    ):
        response = admin.post("/v1/tax-rates", json=body)
        assert response.status_code == 422, body
    assert admin.get("/v1/tax-rates").json() == []


def test_pricing_needs_an_admin_key(admin: TestClient) -> None:
    _setup(admin)
    key = admin.post(
        "/v1/api-keys", json={"name": "shop", "role": "storefront", "channel": "web"}
    ).json()["key"]
    admin.headers.pop("Authorization")
    body = [{"sku": "T-S", "currency": "EUR", "amount": 1}]
    assert admin.put("/v1/prices", json=body).status_code == 401
    assert admin.get("/v1/prices/inconsistencies").status_code == 401
    shop = {"Authorization": f"Bearer {key}"}
    assert admin.put("/v1/prices", json=body, headers=shop).status_code == 403
    assert admin.get("/v1/prices/inconsistencies", headers=shop).status_code == 403
    tax = {"country": "FR", "rate": "0.2"}
    assert admin.post("/v1/tax-rates", json=tax, headers=shop).status_code == 403
    assert admin.get("/v1/tax-rates", headers={"X-Publishable-Key": key}).status_code == 401
