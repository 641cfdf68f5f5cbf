"""Apply Alembic migrations safely when several processes start at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from souk.db.engine import Database
from souk.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do; it only has to be the same in every Souk process.
_PG_LOCK_ID = 0x50_55_4B_01


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextmanager
def _sqlite_lock(url: str) -> Iterator[None]:
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; concurrent callers wait for the first and do nothing."""
    cfg = alembic_config(db.url)
    if db.is_sqlite:
        with _sqlite_lock(db.url), db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        return
    with db.engine.connect() as conn:
        # Waiting for another server's migration, or a migration itself, may take longer
        # than SOUK_DB_STATEMENT_TIMEOUT_MS allows a request; lifted for this session only.
        conn.execute(text("SET statement_timeout = 0"))
        # A session-level advisory lock serialises servers that start together.
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
        conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
            conn.execute(text("RESET statement_timeout"))
            conn.commit()


def migrated(settings: Settings) -> Database:
    """A database for a command of the `souk` CLI, its schema brought up to date first."""
    db = Database(settings)
    migrate(db)
    return db


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def is_up_to_date(db: Database) -> bool:
    with db.engine.connect() as conn:
        return current_revisions(conn) == head_revisions()
