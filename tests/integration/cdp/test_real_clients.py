"""The unmodified tracking clients people run — `segment-analytics-python` 2.4.0 and
`rudder-sdk-python` 2.1.9 — pointed at a real `souk serve`, on both back ends. They batch,
gzip (RudderStack) and flush on their own; the events must all arrive once, with their
fields, and a resent messageId must not be stored twice. With the server resolving each
call before its answer, and with it staging calls (SOUK_CDP_INGEST_ASYNC) for the worker,
whose work `stored` does before it reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from souk.cdp.models import traits_of
from souk.db.engine import Database
from tests.conftest import ADMIN_KEY
from tests.integration.cdp.factories import CHANNEL, stored
from tests.support.server import LiveServer, live_server

pytestmark = pytest.mark.slow


@pytest.fixture(params=["inline", "staged"])
def server(database_url: str, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    env = {"SOUK_CDP_INGEST_ASYNC": "1"} if request.param == "staged" else {}
    with live_server(database_url, ADMIN_KEY, env=env) as running:
        yield running


def _write_key(server: LiveServer, channel: str) -> str:
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    made = httpx.post(
        f"{server.url}/v1/channels", json={**CHANNEL, "code": channel}, headers=headers
    )
    assert made.status_code == 201, made.text
    key = httpx.post(
        f"{server.url}/v1/api-keys",
        json={"name": channel, "role": "ingest", "channel": channel},
        headers=headers,
    )
    assert key.status_code == 201, key.text
    return str(key.json()["key"])


def _journey(client: Any, prefix: str, errors: list[object]) -> None:
    """An anonymous visit, a sign-up, a purchase: the e-commerce spec events."""
    anon = f"{prefix}-anon"
    client.page(anonymous_id=anon, name="Home", properties={"path": "/"}, message_id=f"{prefix}-p")
    for i in range(40):
        client.track(
            anonymous_id=anon,
            event="Product Viewed",
            properties={"sku": f"SKU-{i}", "price": 12.5},
            message_id=f"{prefix}-v{i}",
        )
    client.identify(
        user_id=f"{prefix}-user",
        anonymous_id=anon,
        traits={"email": f"{prefix}@example.com", "name": "Anne"},
        message_id=f"{prefix}-i",
    )
    client.track(
        user_id=f"{prefix}-user",
        event="Order Completed",
        properties={"order_id": "o-1", "total": 25.0, "products": [{"sku": "SKU-1"}]},
        message_id=f"{prefix}-o",
    )
    client.flush()
    assert errors == []


def test_segment_and_rudderstack_clients_deliver_every_event_once(
    server: LiveServer, database_url: str, db: Database
) -> None:
    errors: list[object] = []

    def on_error(error: object, batch: object) -> None:
        errors.append(error)

    segment = SegmentClient(
        _write_key(server, "web"), host=server.url, on_error=on_error, max_retries=2
    )
    rudder = RudderClient(
        _write_key(server, "app"), host=server.url, on_error=on_error, max_retries=2
    )
    for client, prefix in ((segment, "seg"), (rudder, "rud")):
        _journey(client, prefix, errors)
        # The same messages again (a client retrying after a lost answer): stored once.
        _journey(client, prefix, errors)
        client.shutdown()

    for source, prefix in (("web", "seg"), ("app", "rud")):
        rows = stored(db, source=source)
        assert len(rows) == 43
        assert len({r.message_id for r in rows}) == 43
        by_id = {r.message_id: r for r in rows}
        assert by_id[f"{prefix}-v7"].event == "Product Viewed"
        assert by_id[f"{prefix}-v7"].payload["properties"] == {"sku": "SKU-7", "price": 12.5}
        # Segment sends identify traits at the root, RudderStack inside `context.traits`.
        assert traits_of(by_id[f"{prefix}-i"].payload)["email"] == f"{prefix}@example.com"
        assert by_id[f"{prefix}-o"].payload["properties"]["products"] == [{"sku": "SKU-1"}]
        # The visit and the purchase are one person once they signed up.
        assert len({r.profile_id for r in rows}) == 1
    # RudderStack gzips by default and Segment does not: both were read.
    admin = {"Authorization": f"Bearer {server.admin_key}"}
    found = httpx.get(f"{server.url}/v1/profiles", params={"user_id": "rud-user"}, headers=admin)
    assert found.status_code == 200, found.text
