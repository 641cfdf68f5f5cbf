"""Rows a command wrote itself with Core statements, handed to its session as ORM objects
in the state a read would have left them: persistent, clean, their collections loaded.

The unit of work's flush costs several times the INSERT it sends (sorting, per-row state,
primary keys fetched row by row on SQLite); the hot writes (an order and its lines) go out
as one executemany each instead, and the objects built from what was written behave as
if just loaded: a later change is an UPDATE, a collection set here is never lazy-loaded,
and nothing is inserted twice."""

from __future__ import annotations

from sqlalchemy.orm import Session, make_transient_to_detached

from souk.db.base import Base


def adopt(session: Session, *rows: Base) -> None:
    """`rows`, each with every column and its primary key set (a column left out would be
    read back on first access), become persistent in `session` without a statement."""
    for row in rows:
        make_transient_to_detached(row)
    session.add_all(rows)
