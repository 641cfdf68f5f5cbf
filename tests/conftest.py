"""Fixtures shared by every test layer.

`backend` runs a test on SQLite and on PostgreSQL. Each test run migrates one template per
back end; each test then gets its own copy (SQLite) or emptied tables (PostgreSQL), so tests
never share state. PostgreSQL comes from SOUK_TEST_POSTGRES_URL (default: the local server);
where it is unreachable the PostgreSQL half skips with the reason, except under CI=true,
where it fails instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from souk.app import create_app
from souk.db.base import Base
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.tables_index import metadata
from souk.db.uow import UnitOfWork
from souk.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "SOUK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN_KEY = "sk_test_admin_0123456789abcdef"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A database of its own for this test process, dropped at the end."""
    reason = _pg_reachable()
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"souk_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(Settings(database_url=url))
    migrate(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "souk.sqlite3"
    db = Database(Settings(database_url=f"sqlite:///{path}"))
    migrate(db)
    db.dispose()
    # Fold the WAL into the main file so that a plain copy is a complete database.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


def _truncate_all(url: str) -> None:
    """Empty every table a test wrote to. TRUNCATE costs about as much per table as a table
    file rewrite (seconds for all 80 on a busy machine), so only the tables holding rows are
    truncated: one query finds them, with `EXISTS` stopping at the first row of each."""
    tables = [t.name for t in metadata().sorted_tables]
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    engine = create_engine(url)
    with engine.begin() as conn:
        filled = list(conn.execute(text(probe)).scalars())
        if filled:
            names = ", ".join(f'"{t}"' for t in filled)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def database_url_for(backend: str, request: pytest.FixtureRequest, directory: Path) -> str:
    """A database of the test's own on `backend`: a copy of the SQLite template in
    `directory`, or the process's PostgreSQL database emptied."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = directory / "souk.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database_url")
    _truncate_all(url)
    return url


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url_for(backend, request, tmp_path)


def app_settings(database_url: str) -> Settings:
    """What every test's app runs with: background loops and rate limits off."""
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_KEY,
        secret_key="test-secret-key-that-is-long-enough-0123",
        auto_migrate=False,
        dispatcher_enabled=False,
        # Tests that want the background sweeper turn it on themselves.
        reservation_sweep_interval_s=0,
        # Analytics tests refresh the store on demand (POST /v1/analytics/refresh).
        analytics_refresh_interval_s=0,
        # Job tests run the jobs by hand (app.state.job_runner.run_pending()).
        jobs_poll_s=0,
        # Tests call from one client address many times; the rate-limit tests turn it on.
        rate_limit_enabled=False,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return app_settings(database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def uow(db: Database) -> UnitOfWork:
    return UnitOfWork(db)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client for the whole app, unauthenticated."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    """The same app, calling as the bootstrap admin key."""
    client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
    return client


__all__ = ["ADMIN_KEY", "Base"]
