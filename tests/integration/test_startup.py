"""Several servers starting at once on one fresh database: migrations run once, every server
comes up, and the bootstrap admin key exists once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from souk.access.tables import ApiKey
from souk.db.engine import Database
from souk.db.migrate import is_up_to_date
from souk.settings import Settings
from tests.conftest import ADMIN_KEY, PG_ADMIN_URL
from tests.support.server import LiveServer, live_server


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh.sqlite3"
        return
    request.getfixturevalue("pg_database_url")  # skips or fails exactly like the other PG tests
    name = f"souk_fresh_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
def test_servers_starting_together_migrate_once(empty_database_url: str) -> None:
    with ExitStack() as stack, ThreadPoolExecutor(3) as pool:
        starts = [
            pool.submit(stack.enter_context, live_server(empty_database_url, ADMIN_KEY, workers=w))
            for w in (1, 2, 1)
        ]
        servers: list[LiveServer] = [f.result() for f in starts]
        for server in servers:
            response = httpx.get(
                server.url + "/v1/api-keys", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
            )
            assert response.status_code == 200
            assert [k["name"] for k in response.json()] == ["bootstrap admin"]

    db = Database(Settings(database_url=empty_database_url))
    assert is_up_to_date(db)
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 1
    db.dispose()
