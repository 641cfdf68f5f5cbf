"""The database: engine and session factory for SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from souk.settings import Settings

# A write transaction on SQLite starts with BEGIN IMMEDIATE: it takes the write lock up
# front, so two writers queue on the busy timeout instead of failing when a deferred read
# transaction tries to upgrade to a write (SQLITE_BUSY_SNAPSHOT is not retried by SQLite).
WRITE = "souk_write"


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One per process (per app or CLI command), never a module-level global."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, settings)
        else:
            self.engine = create_engine(
                self.url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_pre_ping=settings.db_pre_ping,
            )
        # `info` lets a helper that only holds a session reach the settings and the
        # per-database caches (promotions' live list).
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})

    def session(self, *, write: bool = True) -> Session:
        session = self.sessions()
        if self.is_sqlite and write:
            session.connection(execution_options={WRITE: True})
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction, committed on success — for plumbing outside the
        domain services (outbox, idempotency); domain code uses a UnitOfWork."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
