"""`souk backup` while the database is being written, then `souk restore` into a fresh
database: the copy is one consistent moment (everything committed before the backup began,
nothing that was not committed by its end), on SQLite and on PostgreSQL, and Souk runs on it."""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from souk.access import service as access_service
from souk.access.models import Role
from souk.access.schemas import ApiKeyCreate
from souk.app import create_app
from souk.db import sealing
from souk.db.engine import Database
from souk.db.migrate import is_up_to_date
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from tests.catalog_factories import make_product
from tests.conftest import ADMIN_KEY, PG_ADMIN_URL
from tests.support.server import SOUK

pytestmark = pytest.mark.slow
# Tables the writer changes while the backup runs; every other one must come back equal.
# The audit log is one of them (the writer's admin calls are audited), and it also records
# the `souk backup` (in the source, after its snapshot) and the `souk restore` (in the copy).
WRITTEN = {"api_keys", "outbox_events", "audit_log"}
BACKUP_KEY = sealing.new_key()


class Writer(threading.Thread):
    """Creates API keys as fast as it can; `committed` lists each one after its commit."""

    def __init__(self, db: Database) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.committed: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                created = access_service.create_key(
                    uow=UnitOfWork(self.db), data=ApiKeyCreate(name=f"w{n}", role=Role.ADMIN)
                )
            except BaseException as exc:
                self.errors.append(exc)
                return
            with self.lock:
                self.committed.append(created.id)

    def ids(self) -> set[str]:
        with self.lock:
            return set(self.committed)

    def wait_for(self, count: int) -> None:
        while len(self.ids()) < count and self.is_alive():
            self.stop.wait(0.01)  # polling the writer's progress


def _souk(
    database_url: str, *args: str, key: str | None = BACKUP_KEY
) -> subprocess.CompletedProcess[str]:
    """The command line, with backups sealed under `key` (none: SOUK_BACKUP_KEY unset)."""
    env = {**os.environ, "SOUK_DATABASE_URL": database_url, "SOUK_LOG_LEVEL": "WARNING"}
    env.pop("SOUK_BACKUP_KEY", None)
    if key is not None:
        env["SOUK_BACKUP_KEY"] = key
    return subprocess.run(
        [str(SOUK), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/restored.sqlite3"
        return
    name = f"souk_restore_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return {
                table: sorted(
                    (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"'))),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


def test_backup_while_writing_then_restore_into_a_fresh_database(
    settings: Settings, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    # Given: a shop with a catalog, and a client writing all the time.
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        make_product(client, "tee", skus=("TEE-S", "TEE-M"))
    db = Database(settings)
    writer = Writer(db)
    writer.start()
    try:
        writer.wait_for(20)
        before = writer.ids()

        # When: the backup runs while the writer goes on.
        backup_file = tmp_path / "souk.backup"
        made = _souk(database_url, "backup", str(backup_file))
        after = writer.ids()
        writer.wait_for(len(after) + 5)  # the writer was never blocked for long
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        db.dispose()
    assert made.returncode == 0, made.stderr
    assert writer.errors == []
    assert len(after) > len(before)

    # And: it is restored into a fresh database.
    restored = _souk(fresh_url, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr

    # Then: one consistent moment of the source.
    source, copy = _contents(database_url), _contents(fresh_url)
    assert set(copy) == set(source)
    for table in set(source) - WRITTEN:
        assert copy[table] == source[table], table
    copied_by_writer = {row[0] for row in copy["api_keys"]} & writer.ids()
    assert before <= copied_by_writer <= after
    assert set(copy["api_keys"]) <= set(source["api_keys"])

    # And: Souk runs on the copy.
    restored_settings = settings.model_copy(update={"database_url": fresh_url})
    restored_db = Database(restored_settings)
    try:
        assert is_up_to_date(restored_db)
    finally:
        restored_db.dispose()
    with TestClient(create_app(restored_settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        assert client.get("/v1/products/tee").json()["handle"] == "tee"
        names = {k["name"] for k in client.get("/v1/api-keys").json()}
        assert "bootstrap admin" in names and len(names) >= 2


def test_restore_refuses_a_database_that_is_not_empty(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    backup_file = tmp_path / "souk.backup"
    assert _souk(database_url, "backup", str(backup_file)).returncode == 0
    before = _contents(database_url)

    refused = _souk(database_url, "restore", str(backup_file))

    assert refused.returncode == 2
    assert "not empty" in refused.stderr
    assert _contents(database_url) == before


def test_restore_refuses_what_is_not_a_backup(database_url: str, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a backup at all")

    refused = _souk(database_url, "restore", str(bogus))

    assert refused.returncode == 2
    assert "neither an SQLite backup nor a pg_dump custom archive" in refused.stderr
