"""Availability reads from a streaming replica, with bounded staleness: while the replica is
provably within SOUK_REPLICA_MAX_LAG_MS of the primary it answers (and may be that much
behind); once it stops replaying, the primary answers within that bound. On a private
primary and a private hot standby (pg_basebackup -R), never the shared server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from souk.app import create_app
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.settings import Settings
from tests.catalog_factories import make_channel, make_product
from tests.conftest import ADMIN_KEY, IN_CI
from tests.integration.inventory.factories import api_location, api_move, storefront_key
from tests.support.pg_cluster import (
    PrivateCluster,
    private_cluster,
    streaming_replica,
    unavailable_reason,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
MAX_LAG_S = 3.0


@pytest.fixture
def clusters() -> Iterator[tuple[PrivateCluster, PrivateCluster]]:
    reason = unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI=true: the replica test must run)")
        pytest.skip(reason)
    with private_cluster() as primary:
        primary.psql("CREATE DATABASE souk")
        with streaming_replica(primary) as replica:
            yield primary, replica


def _available(shop: TestClient, key: str) -> int:
    response = shop.get("/v1/availability?sku=TEE-M", headers={"X-Publishable-Key": key})
    assert response.status_code == 200, response.text
    available: int = response.json()["available"]
    return available


def test_reads_follow_the_replica_only_within_the_lag_bound(
    clusters: tuple[PrivateCluster, PrivateCluster],
) -> None:
    primary, replica = clusters
    settings = Settings(
        database_url=primary.url("souk"),
        database_replica_url=replica.url("souk"),
        replica_max_lag_ms=int(MAX_LAG_S * 1000),
        bootstrap_admin_key=ADMIN_KEY,
        secret_key="test-secret-key-that-is-long-enough-0123",
        auto_migrate=False,
        dispatcher_enabled=False,
        reservation_sweep_interval_s=0,
    )
    db = Database(settings)
    migrate(db)
    db.dispose()
    with TestClient(create_app(settings)) as shop:
        shop.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        make_product(shop, "tee", skus=("TEE-M",))
        api_location(shop, "wh-1")
        make_channel(shop, "web", ship_from=["wh-1"])
        api_move(shop, "TEE-M", "wh-1", "receipt", 5)
        key = storefront_key(shop, "web")
        router = shop.app.state.db.replica  # type: ignore[attr-defined]
        assert router is not None

        # Given: the replica has caught up, and a read established that it is fresh.
        deadline = time.monotonic() + 30
        while not (router.usable() and _available(shop, key) == 5):
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.05)  # polling replication

        # When: the replica stops replaying, and 3 more units arrive on the primary.
        replica.psql("SELECT pg_wal_replay_pause()")
        written_at = time.monotonic()
        assert api_move(shop, "TEE-M", "wh-1", "receipt", 3).status_code == 201

        # Then: right after, the read may come from the replica — at most MAX_LAG_S old —
        seen = [(time.monotonic() - written_at, _available(shop, key))]
        assert seen[0][1] == 5, "the first read should still be served by the fresh replica"
        # and within the bound the primary answers with the new figure.
        while seen[-1][1] != 8:
            assert time.monotonic() - written_at < MAX_LAG_S + 2, seen
            time.sleep(0.05)  # polling the routing decision
            seen.append((time.monotonic() - written_at, _available(shop, key)))
        assert {value for _, value in seen} == {5, 8}
        assert not router.usable()

        # When: replay resumes, the replica is used again.
        replica.psql("SELECT pg_wal_replay_resume()")
        deadline = time.monotonic() + 30
        while not router.usable():
            assert time.monotonic() < deadline, "the replica never came back"
            time.sleep(0.1)
        assert _available(shop, key) == 8
