"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT of `table` that can take `.on_conflict_do_nothing()` (and the rest of the
    dialect's ON CONFLICT clauses) on the back end `session` talks to."""
    return upsert_insert_for(dialect_of(session), table)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert_insert_for(dialect: str, table: Any) -> Any:
    """As `upsert_insert`, for a statement built once per back end (`dialect` its name)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
