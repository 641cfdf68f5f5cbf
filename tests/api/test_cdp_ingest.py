"""Segment HTTP Tracking API compatibility through HTTP on both back ends: every call type,
the write key in its three places, gzip, Segment's size limits, messageId de-duplication,
the clock-skew correction, bad messages dropped from a batch without losing the rest, and
errors that carry Segment's `code` and `message` and write nothing.

Every test runs with calls resolved before their answer and with calls staged for the
worker (SOUK_CDP_INGEST_ASYNC): the answers and what is finally stored are the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from souk.cdp import ingestion
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from tests.conftest import app_settings
from tests.integration.cdp.factories import count, send, stored, write_key


@pytest.fixture(params=["sync", "async"])
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return app_settings(database_url).model_copy(
        update={"cdp_ingest_async": request.param == "async"}
    )


@pytest.fixture
def key(admin: TestClient) -> str:
    return write_key(admin)


@pytest.fixture
def tracker(admin: TestClient) -> TestClient:
    """A tracker on the same app that sends no admin key of its own."""
    return TestClient(admin.app)


def test_every_call_type_is_stored_with_its_fields(
    tracker: TestClient, key: str, db: Database
) -> None:
    calls = {
        "track": {"anonymousId": "a-1", "event": "Product Viewed", "properties": {"sku": "TEE"}},
        "identify": {"userId": "u-1", "anonymousId": "a-1", "traits": {"email": "A@x.org"}},
        "page": {"anonymousId": "a-1", "name": "Home", "properties": {"path": "/"}},
        "screen": {"userId": "u-1", "name": "Cart"},
        "group": {"userId": "u-1", "groupId": "g-1", "traits": {"name": "ACME"}},
        "alias": {"userId": "u-1", "previousId": "old-1"},
    }
    for i, (kind, body) in enumerate(calls.items()):
        response = send(tracker, f"/v1/{kind}", {**body, "messageId": f"m-{i}"}, key=key)
        assert (response.status_code, response.json()) == (200, {"success": True})
    rows = stored(db)
    assert [(r.type, r.event, r.message_id, r.source) for r in rows] == [
        ("track", "Product Viewed", "m-0", "web"),
        ("identify", None, "m-1", "web"),
        ("page", "Home", "m-2", "web"),
        ("screen", "Cart", "m-3", "web"),
        ("group", None, "m-4", "web"),
        ("alias", None, "m-5", "web"),
    ]
    assert rows[0].payload["properties"] == {"sku": "TEE"}
    assert rows[4].payload["groupId"] == "g-1"
    # The anonymous visitor and the signed-in user are one profile after `identify`.
    assert len({r.profile_id for r in rows}) == 1


def test_the_write_key_is_accepted_as_basic_user_body_field_or_bearer(
    tracker: TestClient, key: str, db: Database
) -> None:
    message = {"anonymousId": "a-1", "event": "Cart Viewed"}
    by_basic = send(tracker, "/v1/track", {**message, "messageId": "b"}, key=key)
    by_body = send(tracker, "/v1/track", {**message, "messageId": "w", "writeKey": key})
    by_bearer = send(
        tracker, "/v1/track", {**message, "messageId": "t"},
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip
    assert [r.status_code for r in (by_basic, by_body, by_bearer)] == [200, 200, 200]
    rows = stored(db)
    assert [r.message_id for r in rows] == ["b", "w", "t"]
    assert "writeKey" not in rows[1].payload  # the secret is not kept with the event


def test_unknown_or_missing_or_wrong_role_keys_are_refused_with_a_code(
    admin: TestClient, tracker: TestClient, db: Database
) -> None:
    message = {"anonymousId": "a-1", "event": "Cart Viewed"}
    missing = send(tracker, "/v1/track", message)
    unknown = send(tracker, "/v1/batch", {"batch": [{**message, "type": "track"}]}, key="wk_nope")
    admin_key = send(tracker, "/v1/track", message, key=admin.headers["Authorization"][7:])
    assert [r.status_code for r in (missing, unknown, admin_key)] == [401, 401, 403]
    for response in (missing, unknown, admin_key):
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert body["success"] is False and body["code"] and body["message"] == body["detail"]
    assert count(db) == 0


def test_gzip_bodies_are_read_and_broken_gzip_is_a_400(
    tracker: TestClient, key: str, db: Database
) -> None:
    batch = {"batch": [{"type": "track", "anonymousId": "a", "event": "Product Added"}]}
    assert send(tracker, "/v1/batch", batch, key=key, gzipped=True).json() == {"success": True}
    broken = tracker.post(
        "/v1/batch",
        content=b"\x1f\x8bnot gzip",
        headers={"Content-Encoding": "gzip", "Authorization": "Bearer " + key},
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == "bad_request"
    assert [r.event for r in stored(db)] == ["Product Added"]


def test_segment_size_limits_are_a_400_and_write_nothing(
    tracker: TestClient, key: str, db: Database
) -> None:
    big = {"anonymousId": "a", "event": "E", "properties": {"blob": "x" * (33 * 1024)}}
    too_big_message = send(tracker, "/v1/track", big, key=key)
    batch = {
        "batch": [
            {"type": "track", "anonymousId": "a", "event": "E", "properties": {"b": "y" * 30_000}}
            for _ in range(18)
        ]
    }
    too_big_batch = send(tracker, "/v1/batch", batch, key=key, gzipped=True)
    assert (too_big_message.status_code, too_big_batch.status_code) == (400, 400)
    assert "32 KB" in too_big_message.json()["message"]
    assert "500 KB" in too_big_batch.json()["message"]
    assert count(db) == 0


def test_a_resent_message_id_is_stored_once(tracker: TestClient, key: str, db: Database) -> None:
    message = {"type": "track", "anonymousId": "a", "event": "Checkout Started", "messageId": "m1"}
    for _ in range(2):
        assert send(tracker, "/v1/batch", {"batch": [message, message]}, key=key).status_code == 200
    assert [r.message_id for r in stored(db)] == ["m1"]


def test_the_device_clock_is_corrected_by_the_send_delay(
    tracker: TestClient, key: str, db: Database
) -> None:
    # The device clock is a day fast; the event happened 30 s before it was sent.
    skewed = datetime.now(UTC) + timedelta(days=1)
    message = {
        "type": "track",
        "anonymousId": "a",
        "event": "Order Completed",
        "timestamp": (skewed - timedelta(seconds=30)).isoformat(),
    }
    before = datetime.now(UTC)
    send(tracker, "/v1/batch", {"batch": [message], "sentAt": skewed.isoformat()}, key=key)
    after = datetime.now(UTC)
    row = stored(db)[0]
    assert before - timedelta(seconds=30) <= row.timestamp <= after - timedelta(seconds=30)
    assert row.payload["originalTimestamp"] == message["timestamp"]


def test_bad_messages_in_a_batch_are_dropped_and_the_rest_kept(
    tracker: TestClient, key: str, db: Database
) -> None:
    batch = {
        "batch": [
            {"type": "track", "anonymousId": "a", "event": "Product Viewed", "messageId": "ok1"},
            {"type": "track", "anonymousId": "a"},  # no event
            {"type": "warp", "anonymousId": "a"},  # unknown type
            {"type": "track", "userId": "null", "anonymousId": "0000", "event": "X"},  # blocked
            "not an object",
            {"type": "identify", "userId": "u-9", "messageId": "ok2"},
        ]
    }
    response = send(tracker, "/v1/batch", batch, key=key)
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert [r.message_id for r in stored(db)] == ["ok1", "ok2"]


@pytest.mark.parametrize(
    "body",
    [
        {"event": "No identity"},
        {"userId": "anonymous", "event": "Blocked"},
        {"anonymousId": "a", "event": "E", "properties": "nope"},
        {"anonymousId": "a"},
    ],
)
def test_a_bad_single_message_is_a_400_and_writes_nothing(
    tracker: TestClient, key: str, db: Database, body: dict[str, object]
) -> None:
    response = send(tracker, "/v1/track", body, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert count(db) == 0


def test_malformed_json_is_a_400(tracker: TestClient, key: str, db: Database) -> None:
    response = tracker.post(
        "/v1/batch", content=b"{nope", headers={"Authorization": "Bearer " + key}
    )
    assert response.status_code == 400 and response.json()["message"]
    assert send(tracker, "/v1/batch", {"batch": "x"}, key=key).status_code == 400
    assert count(db) == 0


def test_expired_raw_events_are_purged(tracker: TestClient, key: str, db: Database) -> None:
    send(tracker, "/v1/track", {"anonymousId": "a", "event": "Old"}, key=key)
    assert count(db) == 1
    later = datetime.now(UTC) + timedelta(days=31)
    assert ingestion.purge_expired(uow=UnitOfWork(db), retention_days=60, now=later) == 0
    assert ingestion.purge_expired(uow=UnitOfWork(db), retention_days=30, now=later) == 1
    assert count(db) == 0
