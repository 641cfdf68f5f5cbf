"""The pool tests a connection before use only when it sat unused for a while
(`SOUK_DB_PRE_PING_IDLE_MS`, souk.db.engine): one that a request handed back a moment ago
is used as it is, one idle for longer is pinged and, if its server process is gone, replaced
before any statement of the caller fails. The clock is the engine module's, moved by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from souk.db import engine as engine_module
from souk.db.engine import Database
from tests.conftest import PG_ADMIN_URL, app_settings
from tests.support.clock import ManualClock

pytestmark = pytest.mark.postgres


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    moved = ManualClock()
    monkeypatch.setattr(engine_module, "_now", moved)
    return moved


@pytest.fixture
def db(pg_database_url: str) -> Iterator[Database]:
    settings = app_settings(pg_database_url).model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pre_ping_idle_ms": 1000}
    )
    database = Database(settings)
    yield database
    database.dispose()


def _backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            # With a timeout, PostgreSQL (14+) answers only once the process has exited.
            gone = conn.execute(text("SELECT pg_terminate_backend(:p, 10000)"), {"p": pid})
            assert gone.scalar() is True
    finally:
        admin.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(db: Database, clock: ManualClock) -> None:
    first = _backend_pid(db)
    clock.now += 0.5  # within the idle time
    pings: list[str] = []
    original = db.engine.dialect.do_ping

    def counted(connection: object) -> bool:
        pings.append("ping")
        return bool(original(connection))

    db.engine.dialect.do_ping = counted  # type: ignore[method-assign]
    assert _backend_pid(db) == first
    assert pings == []
    clock.now += 2  # longer than the idle time: tested before use, and still alive
    assert _backend_pid(db) == first
    assert pings == ["ping"]


def test_a_connection_idle_longer_and_dead_is_replaced_before_use(
    db: Database, clock: ManualClock
) -> None:
    first = _backend_pid(db)
    _terminate(first)
    clock.now += 2
    # The caller's statement runs on a fresh connection: no error reaches it.
    assert _backend_pid(db) != first


def test_a_connection_killed_within_the_idle_time_fails_once_then_the_pool_recovers(
    db: Database, clock: ManualClock
) -> None:
    """The price of not pinging every time: a server process killed by hand moments after
    its connection's last use reaches one caller as a disconnect (which the API answers
    with 503 database-unavailable); the pool is invalidated and the next caller is served."""
    first = _backend_pid(db)
    _terminate(first)
    clock.now += 0.5
    with pytest.raises(OperationalError):
        _backend_pid(db)
    assert _backend_pid(db) != first


def test_pinging_before_every_transaction_is_still_available(
    pg_database_url: str, clock: ManualClock
) -> None:
    settings = app_settings(pg_database_url).model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pre_ping_idle_ms": 0}
    )
    database = Database(settings)
    try:
        first = _backend_pid(database)
        _terminate(first)
        # No time passes: SQLAlchemy's own pre-ping still finds it dead and replaces it.
        assert _backend_pid(database) != first
    finally:
        database.dispose()
