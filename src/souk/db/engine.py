"""The database: engine and session factory for SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from souk.db.replica import ReplicaRouter
from souk.settings import Settings

# A write transaction on SQLite starts with BEGIN IMMEDIATE: it takes the write lock up
# front, so two writers queue on the busy timeout instead of failing when a deferred read
# transaction tries to upgrade to a write (SQLITE_BUSY_SNAPSHOT is not retried by SQLite).
WRITE = "souk_write"
# How many SQLite virtual-machine steps run between two looks at the statement's deadline.
_PROGRESS_STEPS = 1000
_DEADLINE = "souk_deadline"


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    timeout_ms = settings.db_statement_timeout_ms
    # A statement timeout also bounds the wait for the write lock: a request stuck behind a
    # long writer is a slow database like any other, and answers 503 instead of hanging.
    busy_ms = min(30_000, timeout_ms) if timeout_ms else 30_000
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()
        if timeout_ms:
            _interrupt_after_deadline(dbapi_connection, record)

    if timeout_ms:
        # SQLite has no statement timeout: each statement gets a deadline, and the progress
        # handler (installed per connection) interrupts the statement once it is past.
        # The deadline is cleared after the statement so that COMMIT is never interrupted.
        @event.listens_for(engine, "before_cursor_execute")
        def _arm(conn: Any, _c: Any, _s: Any, _p: Any, _ctx: Any, _many: Any) -> None:
            conn.connection.info[_DEADLINE][0] = time.monotonic() + timeout_ms / 1000

        @event.listens_for(engine, "after_cursor_execute")
        def _disarm(conn: Any, _c: Any, _s: Any, _p: Any, _ctx: Any, _many: Any) -> None:
            conn.connection.info[_DEADLINE][0] = None

        @event.listens_for(engine, "handle_error")
        def _disarm_on_error(context: Any) -> None:
            if context.connection is not None and not context.connection.invalidated:
                context.connection.connection.info[_DEADLINE][0] = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _interrupt_after_deadline(dbapi_connection: Any, record: Any) -> None:
    deadline: list[float | None] = [None]

    def past_deadline() -> int:
        due = deadline[0]
        return 1 if due is not None and time.monotonic() > due else 0

    record.info[_DEADLINE] = deadline
    dbapi_connection.set_progress_handler(past_deadline, _PROGRESS_STEPS)


def _postgres_engine(url: str, settings: Settings) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": settings.db_connect_timeout_s}
    if settings.db_statement_timeout_ms:
        # Set at connection start, so it is the session default that RESET returns to
        # (migrations lift it for their own connection: see migrate.py).
        connect_args["options"] = f"-c statement_timeout={settings.db_statement_timeout_ms}"
    idle_s = settings.db_pre_ping_idle_ms / 1000
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        # A connection from before a database restart is found dead before use and replaced;
        # a disconnect seen mid-statement invalidates the whole pool (SQLAlchemy's default).
        pool_pre_ping=settings.db_pre_ping and idle_s == 0,
        # Non-ASCII as is: the raw CDP events' payload is `json` text (not `jsonb`, which
        # parses either spelling the same), and the erasure's scrub searches it as text for
        # a name in any script (docs/customer-data.md, limits).
        json_serializer=_json_text,
    )
    if settings.db_pre_ping and idle_s > 0:
        _ping_after_idle(engine, idle_s)
    return engine


_IDLE_SINCE = "souk_idle_since"
_now = time.monotonic  # replaced by tests that need time to pass


def _ping_after_idle(engine: Engine, idle_s: float) -> None:
    """Pre-ping only a pooled connection that sat unused for longer than `idle_s`.

    SQLAlchemy's pre-ping is a round trip before every transaction, 14 per order flow, for
    the connection a request handed back a moment ago: under load a connection waits in the
    pool for milliseconds. A restart takes longer than `idle_s`, so every connection from
    before it has been idle that long and is still tested and replaced; only a connection
    killed within `idle_s` of its last use (a backend terminated by hand) reaches a request,
    which then fails as a disconnect mid-statement does (503, the whole pool invalidated)."""

    @event.listens_for(engine, "checkin")
    def _rested(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = _now()

    @event.listens_for(engine, "checkout")
    def _test(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        # None: a connection just opened, alive by construction.
        if since is None or _now() - since <= idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards the connection and checks out another (SQLAlchemy's
            # documented protocol for a checkout handler).
            raise DisconnectionError("a pooled connection was found dead") from exc


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Database:
    """One per process (per app or CLI command), never a module-level global."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.database_url
        self.is_sqlite = settings.is_sqlite
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, settings)
        else:
            self.engine = _postgres_engine(self.url, settings)
        # `info` lets a helper that only holds a session reach the settings and the
        # per-database caches (promotions' live list).
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"database": self})
        self.replica: ReplicaRouter | None = None
        if settings.database_replica_url and not self.is_sqlite:
            replica_engine = _postgres_engine(settings.database_replica_url, settings)
            self.replica = ReplicaRouter(
                primary=self.engine,
                replica=replica_engine,
                max_lag_s=settings.replica_max_lag_ms / 1000,
            )
            self.replica_sessions = sessionmaker(
                replica_engine, expire_on_commit=False, info={"database": self}
            )

    def session(self, *, write: bool = True, stale_ok: bool = False) -> Session:
        """A session on the primary; a read that may be `stale_ok` may get the replica."""
        if stale_ok and not write and self.replica is not None and self.replica.usable():
            return self.replica_sessions()
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
        if self.replica is not None:
            self.replica.replica.dispose()
