"""What registration and sign-in tell a stranger about which emails have accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog_factories import make_channel
from tests.support.account_mail import open_account

PASSWORD = "correct horse battery"


def _shop(admin: TestClient) -> TestClient:
    make_channel(admin, "web")
    key = admin.post("/v1/api-keys", json={"name": "w", "role": "storefront", "channel": "web"})
    return TestClient(admin.app, headers={"X-Publishable-Key": key.json()["key"]})


def test_registration_answers_a_known_email_exactly_like_a_new_one(admin: TestClient) -> None:
    shop = _shop(admin)
    body = {"email": "Secret.Person@example.com", "password": PASSWORD}
    open_account(shop, body["email"], PASSWORD)
    again = shop.post("/v1/customers/register", json={**body, "password": "another one 123"})
    fresh = shop.post(
        "/v1/customers/register", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert again.status_code == fresh.status_code == 202
    # Only the address the caller sent and the link's expiry (a clock reading) differ.
    assert set(again.json()) == set(fresh.json()) == {"status", "email", "expires_at"}
    assert again.json()["status"] == fresh.json()["status"]
    assert "token" not in again.json()
    assert again.headers["content-type"] == fresh.headers["content-type"]
    # and the first account is untouched: its password still works, the second one does not
    login = shop.post("/v1/customers/login", json=body)
    assert login.status_code == 200
    wrong = shop.post(
        "/v1/customers/login", json={"email": body["email"], "password": "another one 123"}
    )
    assert wrong.status_code == 401


def test_sign_in_answers_an_unknown_email_exactly_like_a_wrong_password(admin: TestClient) -> None:
    shop = _shop(admin)
    open_account(shop, "k@example.com", PASSWORD)
    unknown = shop.post("/v1/customers/login", json={"email": "u@example.com", "password": "x"})
    wrong = shop.post("/v1/customers/login", json={"email": "k@example.com", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
