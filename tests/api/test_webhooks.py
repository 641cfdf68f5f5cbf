"""The webhook endpoints API over HTTP: register, list, remove; bad input is refused with a
problem and saves nothing; private and loopback addresses are refused unless allowed, when
saving and again when sending; a real order placed through checkout reaches an endpoint."""

from __future__ import annotations

from typing import Any

import pytest
import standardwebhooks
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.settings import Settings
from souk.webhooks.worker import DeliveryWorker
from tests.checkout_factories import ADDRESS_JP, tokyo_shop
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import receiving


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_retry_schedule_s": [0.0]})


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_register_list_and_remove_an_endpoint(admin: TestClient) -> None:
    # A public address literal: this machine has no DNS, and nothing is sent to it here.
    created = admin.post(
        "/v1/webhook-endpoints",
        json={"url": "https://93.184.215.14/hooks", "events": ["order.placed", "order.cancelled"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("whe_") and body["secret"].startswith("whsec_")
    assert body["events"] == ["order.cancelled", "order.placed"]
    assert body["disabled"] is False
    listed = admin.get("/v1/webhook-endpoints").json()["data"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert admin.delete(f"/v1/webhook-endpoints/{body['id']}").status_code == 204
    _problem(admin.get(f"/v1/webhook-endpoints/{body['id']}"), 404)
    assert admin.get("/v1/webhook-endpoints").json()["data"] == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url", "https://"),
        ({"url": "not a url", "events": ["*"]}, "url", "https://"),
        ({"url": "https://user:pw@example.com/", "events": ["*"]}, "url", "credentials"),
        ({"url": "https://example.com/", "events": ["order.exploded"]}, "events", "unknown"),
        ({"url": "https://no-such-host.invalid/", "events": ["*"]}, "url", "does not resolve"),
    ],
)
def test_bad_endpoints_are_refused_and_nothing_is_saved(
    admin: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    problem = _problem(admin.post("/v1/webhook-endpoints", json=body), 422)
    assert any(e["field"] == field and message in e["message"] for e in problem["errors"])
    assert admin.get("/v1/webhook-endpoints").json()["data"] == []


def test_an_empty_event_list_is_refused(admin: TestClient) -> None:
    _problem(
        admin.post("/v1/webhook-endpoints", json={"url": "https://example.com/", "events": []}), 422
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_loopback_urls_are_refused_when_saved(admin: TestClient, url: str) -> None:
    problem = _problem(admin.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]}), 422)
    assert "private or loopback" in problem["errors"][0]["message"]
    assert admin.get("/v1/webhook-endpoints").json()["data"] == []


def test_an_address_refused_at_send_time_is_never_contacted(
    admin: TestClient, db: Database, settings: Settings
) -> None:
    with receiving() as receiver:
        # Given an endpoint saved while private addresses were allowed
        allowed = settings.model_copy(update={"webhook_allow_private": True})
        admin.app.state.settings = allowed  # type: ignore[attr-defined]
        endpoint = Hooks(admin, db).endpoint(receiver.url, ["fulfillment_order.ready"])
        # When the operator forbids them again and an event is delivered
        hooks = Hooks(admin, db)
        hooks.emit("fulfillment_order.ready", {"order_id": "ord_1"})
        hooks.dispatch()
        worker = DeliveryWorker(db, settings)
        try:
            assert worker.run_once() == 1
        finally:
            worker.stop()
        # Then the receiver got nothing and the attempt says why
        assert receiver.requests == []
    (attempt,) = hooks.deliveries(endpoint["id"])
    assert attempt["status"] == "pending" and attempt["attempts"] == 1
    assert attempt["last_error"].startswith("refused: 127.0.0.1 resolves to 127.0.0.1")


def test_a_real_order_reaches_an_endpoint(
    admin: TestClient, db: Database, settings: Settings
) -> None:
    admin.app.state.settings = settings.model_copy(update={"webhook_allow_private": True})  # type: ignore[attr-defined]
    admin.app.state.webhook_worker.allow_private = True  # type: ignore[attr-defined]
    shop = tokyo_shop(admin, db)
    shop.receive("SNK-42", "wh-tokyo", 5)
    hooks = Hooks(admin, db)
    with receiving() as receiver:
        endpoint = hooks.endpoint(receiver.url, ["order.placed"])
        cart = shop.cart("web")
        assert shop.add(cart["id"], "web", "SNK-42").status_code in (200, 201)
        patched = shop.call(
            "PATCH",
            f"/v1/carts/{cart['id']}",
            "web",
            json={
                "email": "aiko@example.jp",
                "shipping_address": ADDRESS_JP,
                "fulfillment": {"type": "delivery"},
            },
        )
        assert patched.status_code == 200, patched.text
        order = shop.checkout(cart["id"], "web")
        assert order.status_code == 201, order.text
        hooks.deliver()
        (got,) = receiver.wait_for(1)
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "order.placed"
    assert payload["data"]["order_id"] == order.json()["id"]
    assert payload["data"]["url"].endswith(f"/v1/orders/{order.json()['id']}")
