"""Reservations of crashed checkouts: the sweeper that runs inside every server gives the
units of an expired hold back to the raw counters, so they do not drift; availability was
right all along (expired holds never count)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.app import create_app
from souk.db.engine import Database
from souk.inventory.tables import StockRow
from souk.settings import Settings
from tests.catalog_factories import make_channel, make_product
from tests.conftest import ADMIN_KEY
from tests.integration.inventory.factories import api_location, api_move


def _raw_reserved(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.coalesce(func.sum(StockRow.reserved), 0))) or 0)


def _available(client: TestClient, sku: str) -> int:
    total: int = client.get(f"/v1/inventory/{sku}").json()["total"]["available"]
    return total


@pytest.fixture
def sweeping(settings: Settings) -> Iterator[tuple[TestClient, Database]]:
    sweeping_settings = settings.model_copy(update={"reservation_sweep_interval_s": 0.2})
    app = create_app(sweeping_settings)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        make_product(client, "tee", skus=("TEE-M",))
        api_location(client, "wh-1")
        make_channel(client, "marketplace", type="marketplace", ship_from=["wh-1"])
        api_move(client, "TEE-M", "wh-1", "receipt", 5)
        yield client, app.state.db


def test_the_server_sweeps_an_expired_hold_back_into_the_counters(
    sweeping: tuple[TestClient, Database],
) -> None:
    client, db = sweeping
    # Given: a checkout that reserved 3 units, then crashed (nobody releases them).
    held = client.post(
        "/v1/inventory/reservations",
        json={
            "channel": "marketplace",
            "lines": [{"sku": "TEE-M", "quantity": 3}],
            "expires_in_s": 1,
        },
    )
    assert held.status_code == 201, held.text
    assert _raw_reserved(db) == 3
    assert _available(client, "TEE-M") == 2

    # When: the hold expires and the server's sweeper passes.
    deadline = time.monotonic() + 30
    while _raw_reserved(db) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the counter the background thread changes

    # Then: the raw counter is back to zero, the hold is marked expired, all 5 are available.
    assert _raw_reserved(db) == 0
    reservation = client.get(f"/v1/inventory/reservations/{held.json()['id']}").json()
    assert reservation["status"] == "expired"
    assert _available(client, "TEE-M") == 5


def test_the_sweeper_can_be_turned_off(settings: Settings) -> None:
    assert settings.reservation_sweep_interval_s == 0
    app = create_app(settings)
    with TestClient(app):
        assert app.state.sweeper._thread is None


def test_the_sweeper_is_on_by_default() -> None:
    assert Settings.model_fields["reservation_sweep_interval_s"].default == 60
