"""Inserts that a concurrent twin may have made first: the unique key decides, the loser
inserts nothing and learns it from the row count (no exception, no aborted transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from souk.db.base import Base


def insert_once(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING rather than the row count, which PostgreSQL's driver reports as -1 here.
    mapper = inspect(table)
    stmt = insert(mapper.local_table).values(**values).on_conflict_do_nothing()  # type: ignore[arg-type]
    return session.execute(stmt.returning(mapper.primary_key[0])).first() is not None
