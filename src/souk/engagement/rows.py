"""Inserts that a concurrent twin may have made first: the unique key decides, the loser
inserts nothing and learns it from the row count (no exception, no aborted transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from souk.db.base import Base


def insert_once(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))
