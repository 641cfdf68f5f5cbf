"""The console's webhooks screen over HTTP, on both back ends: endpoints and deliveries as
the webhooks API shows them, the dead-letter list, and a failed delivery sent again from
the page — checked through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.settings import Settings
from tests.console_factories import make_staff, signed_in
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Reply, receiving, replies


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One attempt, then the dead-letter list; local receivers are loopback addresses.
    return settings.model_copy(
        update={"webhook_retry_schedule_s": [], "webhook_allow_private": True}
    )


def test_a_dead_letter_is_listed_and_sent_again_from_the_page(
    admin: TestClient, db: Database
) -> None:
    hooks = Hooks(admin, db)
    with receiving(replies(Reply(status=500))) as receiver:
        # Given an endpoint whose first delivery was answered 500 and given up on
        endpoint = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])
        hooks.emit("fulfillment_order.ready", {"order_id": "ord_1"})
        assert hooks.deliver() == 1
        (failed,) = hooks.deliveries(endpoint["id"], status="failed")
        csrf = signed_in(admin, make_staff(db, "admin"))

        # When the operator opens the screen and its dead-letter list
        overview = admin.get("/admin/webhooks")
        letters = admin.get(f"/admin/webhooks?endpoint={endpoint['id']}&status=failed")

        # Then the endpoint and the failed delivery are there, with its last answer
        assert overview.status_code == 200 and endpoint["id"] in overview.text
        assert receiver.url in overview.text
        assert f'data-delivery="{failed["id"]}"' in letters.text
        assert "500" in letters.text and "fulfillment_order.ready" in letters.text
        assert (
            "No delivery succeeded"
            in admin.get(f"/admin/webhooks?endpoint={endpoint['id']}&status=succeeded").text
        )

        # When they send it again (the form's CSRF token), it is delivered with its id
        done = admin.post(
            f"/admin/webhooks/deliveries/{failed['id']}/replay",
            data={"csrf_token": csrf, "endpoint": endpoint["id"]},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert done.headers["location"] == (
            f"/admin/webhooks?endpoint={endpoint['id']}&replayed={failed['id']}"
        )
        assert hooks.deliver() == 1
        first, again = receiver.wait_for(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == failed["id"]
    (delivered,) = hooks.deliveries(endpoint["id"])
    assert delivered["status"] == "succeeded" and delivered["attempts"] == 2


def test_a_replay_without_csrf_token_changes_nothing(admin: TestClient, db: Database) -> None:
    hooks = Hooks(admin, db)
    with receiving(replies(Reply(status=500))) as receiver:
        endpoint = hooks.endpoint(receiver.url, ["fulfillment_order.ready"])
        hooks.emit("fulfillment_order.ready", {"order_id": "ord_1"})
        hooks.deliver()
    (failed,) = hooks.deliveries(endpoint["id"], status="failed")
    signed_in(admin, make_staff(db, "admin"))
    refused = admin.post(
        f"/admin/webhooks/deliveries/{failed['id']}/replay", data={"endpoint": endpoint["id"]}
    )
    assert refused.status_code == 403
    assert hooks.deliveries(endpoint["id"], status="failed") == [failed]


def test_an_unknown_endpoint_or_delivery_is_a_page_not_a_trace(
    admin: TestClient, db: Database
) -> None:
    csrf = signed_in(admin, make_staff(db, "admin"))
    missing = admin.get("/admin/webhooks?endpoint=whe_missing")
    assert missing.status_code == 404 and "No webhook endpoint whe_missing" in missing.text
    assert "<html" in missing.text
    gone = admin.post("/admin/webhooks/deliveries/whd_missing/replay", data={"csrf_token": csrf})
    assert gone.status_code == 404 and "No webhook delivery whd_missing" in gone.text


def test_a_marketer_has_no_webhooks_screen(admin: TestClient, db: Database) -> None:
    signed_in(admin, make_staff(db, "marketer"))
    assert admin.get("/admin/webhooks", follow_redirects=False).status_code == 403
