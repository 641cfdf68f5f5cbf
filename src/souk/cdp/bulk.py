"""Writing many rows of one table at once, inside the caller's transaction.

On PostgreSQL the rows go through `COPY ... FROM STDIN` (psycopg 3's `Cursor.copy`): an
executemany, even pipelined, is one INSERT executed per row on the server, which was most
of PostgreSQL's time for a batch of events. COPY has no ON CONFLICT, so it is only for rows
whose uniqueness the caller has already settled (a clash still fails the transaction with
the same IntegrityError, which the ingestion replays). SQLite takes one executemany.

COPY is sent by the driver, past SQLAlchemy's `before_cursor_execute` hook: the statement
budgets count it on SQLite (where these are INSERTs) and not on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import ColumnElement, String, any_, insert, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from souk.db.base import Base


def _copy_value(value: object) -> object:
    # COPY's text format: a JSON column takes the document as text; an aware datetime is
    # written with its offset, so nothing depends on the session's time zone.
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("timestamps are written aware (UTC)")
    return value


def insert_rows(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(Base.metadata.tables[table]), list(rows))
        return
    columns = list(rows[0])
    driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in columns])
    except psycopg.errors.UniqueViolation as exc:
        # What an INSERT would have raised through SQLAlchemy, so callers handle one error.
        raise IntegrityError(statement, None, exc) from exc


def among(
    session: Session, column: InstrumentedAttribute[Any], values: list[str]
) -> ColumnElement[bool]:
    """`column IN (values)`, spelt `column = ANY(array)` on PostgreSQL: one parameter, so
    the statement stays short enough for psycopg to cache its conversion (it parses an IN
    list of hundreds of placeholders again on every execution)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)
