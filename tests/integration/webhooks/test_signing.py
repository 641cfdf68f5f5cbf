"""Deliveries verify with the unmodified Standard Webhooks and Svix libraries, on both back
ends; during a secret rotation's overlap a receiver holding either secret verifies."""

from __future__ import annotations

import json

import pytest
import standardwebhooks
import svix.webhooks

from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Reply, receiving, replies


def test_a_delivery_verifies_with_standardwebhooks_and_svix(hooks: Hooks) -> None:
    with receiving() as receiver:
        # Given an endpoint for orders ready for pickup
        endpoint = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])
        assert endpoint["secret"].startswith("whsec_")
        # When an order is ready (and an event it does not want happens)
        hooks.emit(
            "fulfillment_order.ready",
            {"order_id": "ord_1", "fulfillment_order_id": "fo_1", "lines": [1, 2]},
        )
        hooks.emit("product.updated", {"id": "prod_1"})
        assert hooks.deliver() == 1
        (got,) = receiver.wait_for(1)

    # Then both unmodified verifiers accept it
    headers = {k: got.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(got.body, headers)
    svix.webhooks.Webhook(endpoint["secret"]).verify(got.body, headers)
    # and the payload is small: ids and scalar fields, a URL to fetch the rest
    assert payload["type"] == "fulfillment_order.ready"
    assert payload["data"]["order_id"] == "ord_1"
    assert payload["data"]["fulfillment_order_id"] == "fo_1"
    assert payload["data"]["url"] == "https://shop.example/v1/orders/ord_1"
    assert "lines" not in payload["data"]
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    # and a tampered body or a wrong secret does not verify
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(endpoint["secret"]).verify(got.body + b" ", headers)
    other = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])["secret"]
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        svix.webhooks.Webhook(other).verify(got.body, headers)


def test_after_a_rotation_both_secrets_verify_during_the_overlap(hooks: Hooks) -> None:
    with receiving() as receiver:
        endpoint = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])
        old = endpoint["secret"]
        # When the secret is rotated
        rotated = hooks.admin.post(f"/v1/webhook-endpoints/{endpoint['id']}/secret/rotate")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != old
        assert rotated.json()["previous_secret_expires_at"] is not None
        hooks.emit("fulfillment_order.ready", {"order_id": "ord_2"})
        hooks.deliver()
        (got,) = receiver.wait_for(1)

    # Then the delivery carries two signatures, and a receiver with either secret verifies
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert standardwebhooks.Webhook(secret).verify(got.body, got.headers)["data"]["order_id"]
        svix.webhooks.Webhook(secret).verify(got.body, got.headers)


def test_the_body_is_the_same_bytes_on_every_retry(hooks: Hooks) -> None:
    with receiving(replies(Reply(status=500))) as receiver:
        endpoint = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])
        hooks.emit("fulfillment_order.ready", {"order_id": "ord_3"})
        hooks.deliver(rounds=2)
        first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert json.loads(second.body)["data"]["order_id"] == "ord_3"
    standardwebhooks.Webhook(endpoint["secret"]).verify(second.body, second.headers)
