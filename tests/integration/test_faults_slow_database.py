"""A slow database: SOUK_DB_STATEMENT_TIMEOUT_MS cancels a statement that runs (or waits for
a lock) longer, the request answers a 503 problem with Retry-After, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from souk.app import create_app
from souk.db.engine import Database
from souk.db.faults import TIMEOUT, classify
from souk.settings import Settings
from tests.conftest import ADMIN_KEY

TIMEOUT_MS = 300
# A query that runs for minutes unless interrupted (SQLite: a recursive count).
SLOW_SQL = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM (SELECT i FROM n LIMIT 1000000000)",
    "postgresql": "SELECT pg_sleep(30)",
}


@pytest.fixture
def slow_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_statement_timeout_ms": TIMEOUT_MS})


@pytest.fixture
def timed_admin(slow_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(slow_settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield client


def test_a_statement_over_the_timeout_is_cancelled(backend: str, slow_settings: Settings) -> None:
    db = Database(slow_settings)
    try:
        with pytest.raises(OperationalError) as raised, db.transaction() as session:
            session.execute(text(SLOW_SQL[backend]))
        assert classify(raised.value) is TIMEOUT
        # The connection is still good for the next statement.
        with db.transaction() as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()


def _hold_write_lock(backend: str, database_url: str) -> tuple[object, object]:
    """Another client holding the lock a key creation needs, until released."""
    engine = create_engine(database_url)
    conn = engine.connect()
    if backend == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        # Readers (the key lookup) pass; inserts into api_keys wait.
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE api_keys IN EXCLUSIVE MODE")
    return engine, conn


def test_a_request_stuck_behind_a_lock_answers_503_and_writes_nothing(
    backend: str, database_url: str, timed_admin: TestClient
) -> None:
    assert timed_admin.get("/v1/api-keys").status_code == 200  # warm: key known, pool open
    engine, conn = _hold_write_lock(backend, database_url)
    try:
        response = timed_admin.post("/v1/api-keys", json={"name": "stuck", "role": "admin"})
    finally:
        conn.rollback()  # type: ignore[attr-defined]
        conn.close()  # type: ignore[attr-defined]
        engine.dispose()  # type: ignore[attr-defined]

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["type"] == "https://souk.dev/problems/database-timeout"
    assert body["status"] == 503
    assert "nothing was changed" in body["detail"]

    names = [k["name"] for k in timed_admin.get("/v1/api-keys").json()]
    assert "stuck" not in names
    retried = timed_admin.post("/v1/api-keys", json={"name": "stuck", "role": "admin"})
    assert retried.status_code == 201
    assert [k["name"] for k in timed_admin.get("/v1/api-keys").json()].count("stuck") == 1
