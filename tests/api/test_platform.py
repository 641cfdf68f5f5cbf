"""The API conventions every endpoint shares: problems, auth, idempotency, health."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": None,
        "migrations": None,
        "detail": None,
    }
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations"] == "current"


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://souk.dev/problems/not-found"


def test_api_keys_need_admin(client: TestClient) -> None:
    missing = client.get("/v1/api-keys")
    assert missing.status_code == 401
    assert missing.json()["title"] == "Authentication required"
    wrong = client.get("/v1/api-keys", headers={"Authorization": "Bearer sk_nope_nope_nope"})
    assert wrong.status_code == 401


def test_admin_creates_key_shown_once_and_stored_hashed(admin: TestClient) -> None:
    created = admin.post("/v1/api-keys", json={"name": "ops", "role": "admin"})
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("sk_")
    assert body["hint"] == body["key"][-4:]
    listed = admin.get("/v1/api-keys").json()
    assert {k["name"] for k in listed} == {"bootstrap admin", "ops"}
    assert all("key" not in k for k in listed)
    # The new key works on its own.
    other = admin.get("/v1/api-keys", headers={"Authorization": f"Bearer {body['key']}"})
    assert other.status_code == 200


def test_validation_problem_lists_every_bad_field(admin: TestClient) -> None:
    response = admin.post("/v1/api-keys", json={"name": "", "role": "wizard"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.name", "body.role"}


def test_malformed_json_is_422_not_500(admin: TestClient) -> None:
    response = admin.post(
        "/v1/api-keys", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["type"] == "https://souk.dev/problems/validation-error"


def test_oversized_payload_is_413_and_writes_nothing(admin: TestClient) -> None:
    response = admin.post("/v1/api-keys", json={"name": "x" * 2_000_000, "role": "admin"})
    assert response.status_code == 413
    assert response.json()["type"] == "https://souk.dev/problems/payload-too-large"
    assert len(admin.get("/v1/api-keys").json()) == 1


def test_idempotency_key_replays_first_response(admin: TestClient) -> None:
    headers = {"Idempotency-Key": "create-ops-key"}
    first = admin.post("/v1/api-keys", json={"name": "ops", "role": "admin"}, headers=headers)
    again = admin.post("/v1/api-keys", json={"role": "admin", "name": "ops"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert [k["name"] for k in admin.get("/v1/api-keys").json()].count("ops") == 1


def test_idempotency_key_with_other_body_is_422(admin: TestClient) -> None:
    headers = {"Idempotency-Key": "k1"}
    admin.post("/v1/api-keys", json={"name": "ops", "role": "admin"}, headers=headers)
    reused = admin.post("/v1/api-keys", json={"name": "other", "role": "admin"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["type"] == "https://souk.dev/problems/idempotency-key-reused"
    assert "other" not in {k["name"] for k in admin.get("/v1/api-keys").json()}


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert generated.startswith("req_")


def test_revoked_key_stops_working(admin: TestClient) -> None:
    created = admin.post("/v1/api-keys", json={"name": "temp", "role": "admin"}).json()
    revoked = admin.delete(f"/v1/api-keys/{created['id']}")
    assert revoked.json()["revoked_at"] is not None
    admin.app.state.key_cache = type(admin.app.state.key_cache)()  # type: ignore[attr-defined]
    response = admin.get("/v1/api-keys", headers={"Authorization": f"Bearer {created['key']}"})
    assert response.status_code == 401
    assert ADMIN_KEY


def test_values_the_database_cannot_store_are_422_and_write_nothing(
    admin: TestClient, backend: str
) -> None:
    nul = admin.post("/v1/api-keys", json={"name": "ops\u0000", "role": "admin"})
    lookup = admin.delete("/v1/api-keys/key%00x")
    names = [k["name"] for k in admin.get("/v1/api-keys").json()]
    if backend == "postgresql":  # PostgreSQL cannot keep NUL in text
        assert nul.status_code == 422
        assert nul.json()["type"] == "https://souk.dev/problems/validation-error"
        assert names == ["bootstrap admin"]
        assert lookup.status_code == 422
    else:  # SQLite keeps it as given
        assert nul.status_code == 201
        assert sorted(names) == ["bootstrap admin", "ops\u0000"]
        assert lookup.status_code == 404
