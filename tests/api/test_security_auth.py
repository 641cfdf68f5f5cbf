"""What registration and sign-in tell a stranger about which emails have accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog_factories import make_channel

PASSWORD = "correct horse battery"


def _shop(admin: TestClient) -> TestClient:
    make_channel(admin, "web")
    key = admin.post("/v1/api-keys", json={"name": "w", "role": "storefront", "channel": "web"})
    return TestClient(admin.app, headers={"X-Publishable-Key": key.json()["key"]})


def test_a_second_registration_is_409_without_repeating_the_address(admin: TestClient) -> None:
    shop = _shop(admin)
    body = {"email": "Secret.Person@example.com", "password": PASSWORD}
    assert shop.post("/v1/customers/register", json=body).status_code == 201
    again = shop.post("/v1/customers/register", json={**body, "password": "another one 123"})
    assert again.status_code == 409
    problem = again.json()
    assert problem["type"] == "https://souk.dev/problems/already-exists"
    assert problem["errors"] == [{"field": "body.email", "message": "already registered"}]
    assert "secret.person" not in again.text.lower()
    assert "token" not in problem
    # and the first account is untouched: its password still works, the second one does not
    login = shop.post("/v1/customers/login", json=body)
    assert login.status_code == 200
    wrong = shop.post(
        "/v1/customers/login", json={"email": body["email"], "password": "another one 123"}
    )
    assert wrong.status_code == 401


def test_sign_in_answers_an_unknown_email_exactly_like_a_wrong_password(admin: TestClient) -> None:
    shop = _shop(admin)
    shop.post("/v1/customers/register", json={"email": "k@example.com", "password": PASSWORD})
    unknown = shop.post("/v1/customers/login", json={"email": "u@example.com", "password": "x"})
    wrong = shop.post("/v1/customers/login", json={"email": "k@example.com", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
