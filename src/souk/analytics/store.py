"""The analytics store: one DuckDB file beside the primary database, its schema and locks.

DuckDB lets one process write a file, or several read it, never both. API workers, the
worker process and the CLI all use the same file, so every use opens it briefly under an
advisory lock on a companion file: shared for queries, exclusive for a refresh. Opening a
DuckDB file takes milliseconds, far below the queries it serves.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.engine import make_url

from souk.settings import Settings

# The store must never fetch anything at run time: DuckDB's extension auto-install would
# download from the internet on first use of an unknown function.
CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
SCHEMA_VERSION = 2

DDL = [
    """CREATE TABLE IF NOT EXISTS meta (
        key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS watermarks (
        source VARCHAR PRIMARY KEY, seen_until TIMESTAMP, refreshed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS orders (
        id VARCHAR PRIMARY KEY, channel VARCHAR, channel_type VARCHAR, source VARCHAR,
        status VARCHAR, customer_key VARCHAR, currency VARCHAR, total BIGINT,
        placed_at TIMESTAMP, country VARCHAR, store VARCHAR, fulfillment_type VARCHAR,
        updated_at TIMESTAMP, units BIGINT)""",
    # Each line carries its order's when, where and whether it counts (copied in by the
    # refresh), so that a grouping by category scans one table instead of joining two.
    """CREATE TABLE IF NOT EXISTS order_lines (
        id BIGINT PRIMARY KEY, order_id VARCHAR, sku VARCHAR, quantity BIGINT, total BIGINT,
        placed_at TIMESTAMP, live BOOLEAN, currency VARCHAR, channel VARCHAR,
        country VARCHAR, store VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS return_lines (
        id BIGINT PRIMARY KEY, return_id VARCHAR, order_id VARCHAR, channel VARCHAR,
        reason VARCHAR, quantity BIGINT, amount BIGINT, currency VARCHAR,
        created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS refunds (
        id VARCHAR PRIMARY KEY, order_id VARCHAR, amount BIGINT, currency VARCHAR,
        created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS fulfillment_orders (
        id VARCHAR PRIMARY KEY, order_id VARCHAR, location VARCHAR, type VARCHAR,
        status VARCHAR, updated_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS carts (
        id VARCHAR PRIMARY KEY, status VARCHAR, channel VARCHAR, lines BIGINT,
        order_id VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS events (
        id BIGINT PRIMARY KEY, source VARCHAR, type VARCHAR, event VARCHAR,
        profile_id VARCHAR, ts TIMESTAMP, sku VARCHAR, order_source VARCHAR,
        received_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS profile_orders (
        order_id VARCHAR PRIMARY KEY, profile_id VARCHAR, placed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS movements (
        id BIGINT PRIMARY KEY, sku VARCHAR, location VARCHAR, quantity BIGINT,
        on_hand_after BIGINT, created_at TIMESTAMP)""",
    # Small and changing in place: copied whole at each refresh (no keys, so that the
    # delete and the insert of one refresh never collide on an index).
    """CREATE TABLE IF NOT EXISTS stock (
        sku VARCHAR, location VARCHAR, on_hand BIGINT, reserved BIGINT, allocated BIGINT)""",
    "CREATE TABLE IF NOT EXISTS variants (sku VARCHAR, category VARCHAR)",
    """CREATE TABLE IF NOT EXISTS locations (
        code VARCHAR, type VARCHAR, country VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS channels (
        code VARCHAR, type VARCHAR, country VARCHAR)""",
]

_in_process = threading.Lock()


def store_path(settings: Settings) -> Path:
    """SOUK_ANALYTICS_PATH, else beside the SQLite file, else under var/ named after the
    PostgreSQL database (so that two databases never share one mirror)."""
    if settings.analytics_path:
        return Path(settings.analytics_path)
    url = make_url(settings.database_url)
    if settings.is_sqlite and url.database and url.database != ":memory:":
        return Path(url.database).with_suffix(".analytics.duckdb")
    tag = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path("var") / f"analytics-{url.database or 'db'}-{tag}.duckdb"


def source_identity(settings: Settings) -> str:
    url = make_url(settings.database_url)
    return hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()


@contextmanager
def _locked(path: Path, *, exclusive: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(path.suffix + ".lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path), read_only=read_only, config=CONFIG)
    # A long query would otherwise draw a progress bar on the server's terminal.
    conn.execute("SET enable_progress_bar = false")
    return conn


@contextmanager
def writing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store opened for a refresh (one at a time, machine-wide)."""
    # DuckDB refuses a read-write open in a process that holds the file read-only, so a
    # process's own readers and writer take turns as well.
    with _in_process, _locked(path, exclusive=True):
        conn = _connect(path, read_only=False)
        try:
            for statement in DDL:
                conn.execute(statement)
            yield conn
        finally:
            conn.close()


@contextmanager
def reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not path.exists():
        with writing(path):
            pass
    with _locked(path, exclusive=False):
        conn = _connect(path, read_only=True)
        try:
            yield conn
        finally:
            conn.close()


def first(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a result, reading it to the end: DuckDB refuses new work on a
    connection while a result is still open."""
    rows = result.fetchall()
    return tuple(rows[0]) if rows else None
