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
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import BindParameter

from souk.db.base import Base

# One encoder for every document: `json.dumps` with its own separators builds a new one on
# every call, a quarter of the cost of a small payload. No circular check: the documents
# come from JSON or from plain dicts this code builds, which cannot hold themselves (the
# check was a fifth of an event payload's encoding). Non-ASCII as is: an event's payload is
# kept as `json` text on PostgreSQL, where the erasure's scrub searches it as text and must
# find a name in any script (as it did in `jsonb`).
_encode_json = json.JSONEncoder(
    separators=(",", ":"), check_circular=False, ensure_ascii=False
).encode


def _copy_rows(
    table: Table, columns: list[str], rows: Sequence[dict[str, Any]]
) -> Iterator[list[Any]]:
    """The rows as COPY's text format takes them: a JSON column's document as text, an aware
    datetime with its offset (so nothing depends on the session's time zone). Which columns
    need which is read once from the table, not worked out again for every value."""
    # A decorated type (UTCDateTime) is told by what it decorates.
    kinds = [getattr(t, "impl", t) for t in (table.c[c].type for c in columns)]
    documents = [i for i, kind in enumerate(kinds) if isinstance(kind, JSON)]
    times = [i for i, kind in enumerate(kinds) if isinstance(kind, DateTime)]
    pick = itemgetter(*columns)
    for row in rows:
        values = list(pick(row)) if len(columns) > 1 else [row[columns[0]]]
        for i in documents:
            if values[i] is not None:
                values[i] = _encode_json(values[i])
        for i in times:
            if values[i] is not None and values[i].tzinfo is None:
                raise ValueError("timestamps are written aware (UTC)")
        yield values


def insert_rows(session: Session, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    connection = session.connection()
    target = Base.metadata.tables[table]
    if connection.dialect.name != "postgresql":
        session.execute(insert(target), list(rows))
        return
    columns = list(rows[0])
    driver = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for values in _copy_rows(target, columns, rows):
                copy.write_row(values)
    except psycopg.errors.UniqueViolation as exc:
        # What an INSERT would have raised through SQLAlchemy, so callers handle one error.
        raise IntegrityError(statement, None, exc) from exc


class Among:
    """`SELECT columns WHERE column IN (:values) AND criteria ORDER BY order_by`, in one
    statement of one bound parameter for the values, where on PostgreSQL each of them probes
    `column`'s index. Built once per dialect, with `criteria` holding their own bound
    parameters: building it for every call cost four times what running it did (1.2 ms of
    CPU against 0.3 for a look-up of 100 messageIds), several times per inline call.

    Spelt `FROM jsonb_array_elements_text(:values) CROSS JOIN LATERAL (SELECT ... WHERE
    column = value OFFSET 0)` on PostgreSQL, because the plan must not depend on the table's
    statistics, which lag behind a table that grows by thousands of rows a second: the
    lateral subquery (kept apart by `OFFSET 0`) is a nested loop whatever the estimates, and
    an equality on an indexed column is an index probe whatever the table's size.
    `column = ANY(:array)` was one parameter too, but once psycopg prepared it, PostgreSQL's
    generic plan compared every row of a table not yet analysed with the whole array:
    0.2-0.8 s per look-up of 1,000 messageIds among 20,000-40,000 events, most of the
    worker's time (docs/benchmarks.md, "ingest: look-ups that probe the index"). The values
    go as one JSON document, which `json` writes in C, where psycopg writes a text array
    element by element in Python (5 ms for 2,500 messageIds). An IN list of hundreds of
    placeholders is no answer either: psycopg parses it again on every execution. SQLite
    takes a plain (expanding) IN."""

    def __init__(
        self,
        columns: Sequence[InstrumentedAttribute[Any]],
        column: InstrumentedAttribute[Any],
        *criteria: ColumnElement[bool],
        order_by: Sequence[str] = (),
    ) -> None:
        self.columns = list(columns)
        self.column = column
        self.criteria = criteria
        self.order_by = list(order_by)
        self._built: dict[str, Select[Any]] = {}

    def statement(self, session: Session) -> Select[Any]:
        dialect = session.get_bind().dialect.name
        built = self._built.get(dialect)
        if built is None:
            built = self._built[dialect] = self._build(dialect)
        return built

    def _build(self, dialect: str) -> Select[Any]:
        if dialect != "postgresql":
            listed: BindParameter[str] = bindparam("values", expanding=True)
            found = select(*self.columns).where(self.column.in_(listed), *self.criteria)
        else:
            document = bindparam("values", type_=JSONB)
            wanted = (
                func.jsonb_array_elements_text(document)
                .table_valued("value")
                .render_derived(name="wanted")
            )
            hit = (
                select(*self.columns)
                .where(self.column == wanted.c.value, *self.criteria)
                .offset(0)
                .lateral("hit")
            )
            found = select(*hit.c).select_from(wanted).join(hit, true())
        return found.order_by(*(found.selected_columns[name] for name in self.order_by))

    def __call__(
        self, session: Session, values: list[str], **params: object
    ) -> Result[*tuple[Any, ...]]:
        return session.execute(self.statement(session), {"values": values, **params})
