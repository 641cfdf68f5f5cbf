"""Security headers on every answer: pages, JSON, problems, answers made by middleware."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY

ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def _has_always(headers: object) -> None:
    for name, value in ALWAYS.items():
        assert headers[name] == value, name  # type: ignore[index]


def test_pages_get_a_content_security_policy_without_third_parties(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    _has_always(page.headers)
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "http" not in csp  # no third-party origin is allowed anywhere
    assert "strict-transport-security" not in page.headers  # plain HTTP: HSTS means nothing


def test_json_problems_and_middleware_answers_carry_them_too(client: TestClient) -> None:
    answers = [
        client.get("/healthz"),
        client.get("/v1/channels"),  # 401 problem
        client.post("/v1/products", content=b"[" * 100 + b"]" * 100),  # 422 from a middleware
        client.post(
            "/v1/products", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
        ),  # 413 from a middleware
        client.get("/nowhere"),  # 404
    ]
    assert [a.status_code for a in answers] == [200, 401, 422, 413, 404]
    for answer in answers:
        _has_always(answer.headers)
        assert answer.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
        )
        assert answer.headers["x-request-id"]


def test_answers_to_credentials_are_not_cached_and_https_gets_hsts(client: TestClient) -> None:
    anonymous = client.get("/healthz")
    assert "cache-control" not in anonymous.headers
    secure = TestClient(client.app, base_url="https://testserver")
    signed = secure.get("/v1/channels", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert signed.status_code == 200
    assert signed.headers["cache-control"] == "no-store"
    assert signed.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    # each header once, even on an answer replayed for an Idempotency-Key
    body = {"name": "k", "role": "admin"}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Idempotency-Key": "hdr-1"}
    first = client.post("/v1/api-keys", json=body, headers=headers)
    again = client.post("/v1/api-keys", json=body, headers=headers)
    assert (first.status_code, again.headers.get("idempotent-replayed")) == (201, "true")
    raw = again.headers.get_list("x-content-type-options")
    assert raw == ["nosniff"]
