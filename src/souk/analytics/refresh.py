"""Feeding the analytics store from the primary database, incrementally.

Each source keeps a watermark: the latest change time it has copied. A refresh reads the
rows changed since the watermark less an overlap (SOUK_ANALYTICS_OVERLAP_S), so that a
transaction which committed late with an earlier time is still picked up, and upserts them
by primary key, so that reading a row twice changes nothing. The whole refresh reads one
snapshot of the primary and writes one DuckDB transaction: a query sees the store before
or after a refresh, never half of one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
from sqlalchemy.orm import Session

from souk.analytics import extract
from souk.analytics.store import DDL, SCHEMA_VERSION, first, source_identity, store_path, writing
from souk.db.base import utcnow
from souk.db.engine import Database

log = logging.getLogger(__name__)
TABLES = [s.table for s in extract.INCREMENTAL] + list(extract.snapshot_statements())


@dataclass
class RefreshResult:
    rows: dict[str, int] = field(default_factory=dict)
    full: bool = False
    seconds: float = 0.0
    refreshed_at: datetime | None = None


def _reset_if_foreign(conn: duckdb.DuckDBPyConnection, identity: str, full: bool) -> bool:
    """Empty the store when asked to, or when it was filled from another database or by an
    older schema: the watermarks would be meaningless."""
    row = first(conn.execute("SELECT value FROM meta WHERE key = 'source'"))
    version = first(conn.execute("SELECT value FROM meta WHERE key = 'schema'"))
    same_schema = bool(version and version[0] == str(SCHEMA_VERSION))
    if not full and row and row[0] == identity and same_schema:
        return False
    for table in [*TABLES, "watermarks", "meta"]:
        conn.execute(f"DROP TABLE IF EXISTS {table}" if not same_schema else f"DELETE FROM {table}")
    if not same_schema:
        for statement in DDL:
            conn.execute(statement)
    conn.execute(
        "INSERT INTO meta VALUES ('source', ?), ('schema', ?)", [identity, str(SCHEMA_VERSION)]
    )
    return True


def _load(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    upsert: bool = True,
) -> None:
    kept = [i for i, name in enumerate(columns) if not name.startswith("_")]
    names = [columns[i] for i in kept]
    data = {
        name: np.array([r[i] for r in rows], dtype=object)
        for name, i in zip(names, kept, strict=True)
    }
    conn.register("batch", data)
    try:
        cols = ", ".join(names)
        verb = "INSERT OR REPLACE" if upsert else "INSERT"
        conn.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM batch")
    finally:
        conn.unregister("batch")


def _copy_incremental(
    conn: duckdb.DuckDBPyConnection, session: Session, overlap: timedelta, now: datetime
) -> dict[str, int]:
    counts: dict[str, int] = {}
    orders_mark = first(conn.execute("SELECT seen_until FROM watermarks WHERE source = 'orders'"))
    for source in extract.INCREMENTAL:
        mark = first(
            conn.execute("SELECT seen_until FROM watermarks WHERE source = ?", [source.table])
        )
        seen: datetime | None = mark[0] if mark else None
        since = seen - overlap if seen is not None else None
        copied = 0
        for rows in extract.batches(session, source.read(since), source.shape):
            _load(conn, source.table, source.columns, list(rows))
            copied += len(rows)
            latest = max(r[source.clock] for r in rows)
            seen = latest if seen is None or latest > seen else seen
        conn.execute(
            "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)", [source.table, seen, now]
        )
        counts[source.table] = copied
    orders_seen = orders_mark[0] if orders_mark else None
    _denormalise(conn, orders_seen - overlap if orders_seen is not None else None)
    return counts


def _denormalise(conn: duckdb.DuckDBPyConnection, since: datetime | None) -> None:
    """Give the orders changed since `since` their units, and their lines the order's
    attributes (a cancellation makes the lines stop counting too)."""
    changed = {"since": since or datetime(1970, 1, 1)}
    conn.execute(
        """UPDATE order_lines SET placed_at = o.placed_at, live = o.status <> 'cancelled',
               currency = o.currency, channel = o.channel, country = o.country, store = o.store
           FROM orders o WHERE o.id = order_lines.order_id
             AND (o.updated_at >= $since OR order_lines.live IS NULL)""",
        changed,
    )
    conn.execute(
        """UPDATE orders SET units = u.units
           FROM (SELECT l.order_id, sum(l.quantity) AS units FROM order_lines l
                 JOIN orders o ON o.id = l.order_id
                 WHERE o.updated_at >= $since OR o.units IS NULL
                 GROUP BY l.order_id) u
           WHERE orders.id = u.order_id""",
        changed,
    )


def _copy_snapshots(conn: duckdb.DuckDBPyConnection, session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, stmt in extract.snapshot_statements().items():
        rows = [tuple(r) for r in session.execute(stmt)]
        conn.execute(f"DELETE FROM {table}")
        if rows:
            columns = tuple(
                d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description
            )
            _load(conn, table, columns, rows, upsert=False)
        counts[table] = len(rows)
    return counts


def _apply_merges(conn: duckdb.DuckDBPyConnection, session: Session) -> int:
    """Events and orders of a profile merged into another count as the survivor's."""
    mark = first(conn.execute("SELECT seen_until FROM watermarks WHERE source = 'merges'"))
    seen: datetime | None = mark[0] if mark else None
    merges = extract.merges_since(session, seen)
    for merged, into, when in merges:
        for table in ("events", "profile_orders"):
            conn.execute(f"UPDATE {table} SET profile_id = ? WHERE profile_id = ?", [into, merged])
        seen = when if seen is None or when > seen else seen
    conn.execute(
        "INSERT OR REPLACE INTO watermarks VALUES ('merges', ?, ?)", [seen, extract.naive(utcnow())]
    )
    return len(merges)


def refresh(*, db: Database, full: bool = False) -> RefreshResult:
    """Bring the analytics store up to date with the primary database; `full` rebuilds it."""
    started = time.perf_counter()
    settings = db.settings
    overlap = timedelta(seconds=settings.analytics_overlap_s)
    now = extract.naive(utcnow())
    assert now is not None
    result = RefreshResult()
    session = db.session(write=False)
    try:
        if not db.is_sqlite:
            # One snapshot for every source: lines never arrive without their order.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        with writing(store_path(settings)) as conn:
            conn.execute("BEGIN")
            try:
                result.full = _reset_if_foreign(conn, source_identity(settings), full)
                result.rows = _copy_incremental(conn, session, overlap, now)
                result.rows.update(_copy_snapshots(conn, session))
                result.rows["merges"] = _apply_merges(conn, session)
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('refreshed_at', ?)", [now.isoformat()]
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        session.rollback()
        session.close()
    result.seconds = time.perf_counter() - started
    result.refreshed_at = now.replace(tzinfo=UTC)
    return result


class AnalyticsRefresher:
    """Refreshes the store every SOUK_ANALYTICS_REFRESH_INTERVAL_S in a thread (0: off),
    in `souk serve` and `souk worker`."""

    def __init__(self, db: Database, *, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="souk-analytics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                refresh(db=self.db)
            except Exception:
                # The next interval tries again; queries meanwhile answer from the last
                # refresh and say how old it is.
                log.exception("analytics refresh failed")
