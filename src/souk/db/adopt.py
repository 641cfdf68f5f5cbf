"""Rows a command wrote itself with Core statements, handed to its session as ORM objects
in the state a read would have left them: persistent, clean, their collections loaded.

The unit of work's flush costs several times the INSERT it sends (sorting, per-row state,
primary keys fetched row by row on SQLite); the hot writes (an order and its lines) go out
as one executemany each instead, and the objects built from what was written behave as
if just loaded: a later change is an UPDATE, a collection set here is never lazy-loaded,
and nothing is inserted twice."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import and_, bindparam, inspect, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from souk.db.base import Base, table_of

# (mapped class, the columns written) → its UPDATE by primary key, built once.
_updates: dict[tuple[type[Base], tuple[str, ...]], tuple[Any, tuple[str, ...]]] = {}
_updates_lock = threading.Lock()


def adopt(session: Session, *rows: Base) -> None:
    """`rows`, each with every column and its primary key set (a column left out would be
    read back on first access), become persistent in `session` without a statement."""
    for row in rows:
        make_transient_to_detached(row)
    session.add_all(rows)


def write(session: Session, row: Base, **values: Any) -> None:
    """Set `values` on a persistent `row` by one UPDATE on its primary key, and leave the
    object as if it had been read so: clean, so that the session's flush has nothing to do
    for it. The hot commands (a cart's change) change a row this way; a column they set as
    an attribute instead is still written by the flush, as usual."""
    if not values:
        return
    names = tuple(sorted(values))
    key = (type(row), names)
    built = _updates.get(key)
    if built is None:
        mapper = inspect(type(row))
        table = table_of(type(row))
        pk = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
        where = and_(
            *(c == bindparam(f"pk_{k}") for c, k in zip(mapper.primary_key, pk, strict=True))
        )
        statement = (
            update(table)
            .where(where)
            .values({mapper.attrs[n].columns[0].name: bindparam(n) for n in names})
        )
        with _updates_lock:
            built = _updates.setdefault(key, (statement, pk))
    statement, pk = built
    session.execute(statement, {**values, **{f"pk_{k}": getattr(row, k) for k in pk}})
    for name, value in values.items():
        set_committed_value(row, name, value)
