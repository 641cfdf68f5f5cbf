"""Customers over HTTP: registration, sign-in, tokens, profile, addresses, admin lookups —
and nobody sees another customer's data. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from souk.customers.tokens import TokenSigner
from souk.db.base import utcnow
from souk.db.engine import Database
from tests.checkout_factories import ADDRESS_JP, Shop, make_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.channel("web", default_locale="en", locales=["en", "ja"])
    shop.channel("app", default_locale="en", locales=["en", "ja"])
    return shop


def test_register_then_sign_in_from_another_channel(shop: Shop) -> None:
    # Given a shopper who registers on the web shop
    created = shop.register("web", "Aiko@Example.jp", name="Aiko", locale="ja")
    customer = created["customer"]
    assert customer["email"] == "aiko@example.jp"
    assert (customer["name"], customer["locale"], customer["loyalty_card"]) == ("Aiko", "ja", None)
    assert customer["id"].startswith("cus_") and created["cart_id"] is None
    # When they sign in from the app
    login = shop.call(
        "POST",
        "/v1/customers/login",
        "app",
        json={"email": "aiko@example.jp", "password": "correct horse battery"},
    )
    # Then the token reaches their own profile from any channel
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    me = shop.call("GET", "/v1/customers/me", "web", token=token)
    assert me.status_code == 200
    assert me.json() == {**customer, "addresses": []}


def test_a_wrong_password_or_unknown_email_is_the_same_401(shop: Shop) -> None:
    shop.register("web", "aiko@example.jp")
    for email, password in (("aiko@example.jp", "wrong password"), ("nobody@x.jp", "whatever1")):
        response = shop.call(
            "POST", "/v1/customers/login", "web", json={"email": email, "password": password}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong email or password"


def test_registering_an_email_twice_answers_the_same_and_writes_nothing(
    shop: Shop, admin: TestClient
) -> None:
    # (The mails each registration sends are in tests/api/test_registration.py.)
    shop.register("web", "aiko@example.jp")
    again = shop.call(
        "POST",
        "/v1/customers/register",
        "app",
        json={"email": "AIKO@example.jp", "password": "another password"},
    )
    assert again.status_code == 202
    assert again.json()["status"] == "verification_sent"
    assert len(admin.get("/v1/customers").json()["data"]) == 1


def test_bad_registration_lists_every_bad_field(shop: Shop, admin: TestClient) -> None:
    response = shop.call(
        "POST",
        "/v1/customers/register",
        "web",
        json={"email": "not-an-email", "password": "short", "locale": "xx-nope"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "body.email",
        "body.password",
        "body.locale",
    }
    assert admin.get("/v1/customers").json()["data"] == []


def test_tampered_expired_and_missing_tokens(shop: Shop, settings: object) -> None:
    token = shop.register("web", "aiko@example.jp")["token"]
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[::-1]}"
    assert shop.call("GET", "/v1/customers/me", "web", token=tampered).status_code == 401
    secret = shop.admin.app.state.token_signer._secret  # type: ignore[attr-defined]
    customer_id = shop.call("GET", "/v1/customers/me", "web", token=token).json()["id"]
    expired = TokenSigner(secret, 60).issue(customer_id, now=utcnow() - timedelta(hours=1))
    response = shop.call("GET", "/v1/customers/me", "web", token=expired.token)
    assert response.status_code == 401
    assert response.json()["detail"] == "The customer token has expired: sign in again"
    missing = shop.call("GET", "/v1/customers/me", "web")
    assert missing.status_code == 401
    # A publishable key is still needed: a token alone is not a storefront.
    alone = shop.store.get("/v1/customers/me", headers={"Authorization": f"Bearer {token}"})
    assert alone.status_code == 401


def test_profile_and_addresses(shop: Shop) -> None:
    token = shop.register("web", "aiko@example.jp")["token"]
    changed = shop.call("PATCH", "/v1/customers/me", "web", token=token, json={"locale": "en"})
    assert changed.status_code == 200 and changed.json()["locale"] == "en"
    first = shop.call("POST", "/v1/customers/me/addresses", "web", token=token, json=ADDRESS_JP)
    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "name": "Aiko",
        "line1": "1-1 Chiyoda",
        "line2": None,
        "city": "Tokyo",
        "postal_code": None,
        "region": None,
        "country": "JP",
        "phone": None,
        "default": True,
    }
    second = shop.call(
        "POST",
        "/v1/customers/me/addresses",
        "web",
        token=token,
        json={**ADDRESS_JP, "line1": "2-2 Shibuya", "default": True},
    ).json()
    addresses = shop.call("GET", "/v1/customers/me/addresses", "web", token=token).json()
    assert [(a["line1"], a["default"]) for a in addresses] == [
        ("1-1 Chiyoda", False),
        ("2-2 Shibuya", True),
    ]
    bad = shop.call(
        "PATCH",
        f"/v1/customers/me/addresses/{second['id']}",
        "web",
        token=token,
        json={"country": "XX"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.country"
    gone = shop.call("DELETE", f"/v1/customers/me/addresses/{second['id']}", "web", token=token)
    assert gone.status_code == 204
    left = shop.call("GET", "/v1/customers/me/addresses", "web", token=token).json()
    assert [a["line1"] for a in left] == ["1-1 Chiyoda"]


def test_a_customer_never_reaches_another_customers_data(shop: Shop) -> None:
    ana = shop.register("web", "ana@example.com")
    ben = shop.register("web", "ben@example.com")
    address = shop.call(
        "POST", "/v1/customers/me/addresses", "web", token=ana["token"], json=ADDRESS_JP
    ).json()
    # Ben cannot change or delete Ana's address: it is "not found" for him.
    for method in ("PATCH", "DELETE"):
        response = shop.call(
            method,
            f"/v1/customers/me/addresses/{address['id']}",
            "web",
            token=ben["token"],
            json={"city": "Osaka"} if method == "PATCH" else None,
        )
        assert response.status_code == 404
    # The operator's lookups refuse a customer token outright.
    other = shop.call("GET", f"/v1/customers/{ana['customer']['id']}", "web", token=ben["token"])
    assert other.status_code == 403
    listing = shop.call("GET", "/v1/customers", "web", token=ben["token"])
    assert listing.status_code == 403
    me = shop.call("GET", "/v1/customers/me", "web", token=ana["token"]).json()
    assert me["addresses"][0]["city"] == "Tokyo"


def test_admin_creates_finds_and_pages_customers(shop: Shop, admin: TestClient) -> None:
    created = admin.post(
        "/v1/customers",
        json={"email": "pos@example.com", "name": "Pat", "loyalty_card": "LC-0001"},
    )
    assert created.status_code == 201, created.text
    clash = admin.post("/v1/customers", json={"email": "x@example.com", "loyalty_card": "LC-0001"})
    assert clash.status_code == 409
    assert clash.json()["errors"] == [{"field": "body.loyalty_card", "message": "already in use"}]
    for i in range(3):
        shop.register("web", f"c{i}@example.com")
    found = admin.get("/v1/customers", params={"loyalty_card": "LC-0001"}).json()["data"]
    assert [c["email"] for c in found] == ["pos@example.com"]
    by_email = admin.get("/v1/customers", params={"email": "C1@example.com"}).json()["data"]
    assert [c["email"] for c in by_email] == ["c1@example.com"]
    first = admin.get("/v1/customers", params={"limit": 3}).json()
    rest = admin.get("/v1/customers", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(first["data"]) == 3 and len(rest["data"]) == 1 and rest["next_cursor"] is None
    emails = {c["email"] for c in first["data"] + rest["data"]}
    assert emails == {"pos@example.com", "c0@example.com", "c1@example.com", "c2@example.com"}
    one = admin.get(f"/v1/customers/{created.json()['id']}")
    assert one.status_code == 200 and one.json()["loyalty_card"] == "LC-0001"
    assert admin.get("/v1/customers/cus_nope").status_code == 404
    card = admin.patch(f"/v1/customers/{created.json()['id']}", json={"loyalty_card": "LC-0002"})
    assert card.status_code == 200 and card.json()["loyalty_card"] == "LC-0002"
