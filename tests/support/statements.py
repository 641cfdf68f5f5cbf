"""Counting the SQL a request sends: a `before_cursor_execute` hook on the app's engine.

A statement budget is a count, not a timing, so it holds on a loaded machine and on both
back ends. `BEGIN` (which SQLAlchemy sends itself on SQLite) is counted as a transaction,
not a statement; PostgreSQL's driver begins implicitly and sends nothing to count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Count:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    def __len__(self) -> int:
        return len(self.statements)

    def report(self) -> str:
        """Every statement of the step on its own line: what a failing budget prints."""
        return "\n".join(f"{i:3} {s[:160]}" for i, s in enumerate(self.statements, 1))


@contextmanager
def counting(engine: Engine) -> Iterator[Count]:
    count = Count()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        text = " ".join(statement.split())
        if text.upper().startswith("BEGIN"):
            return
        count.statements.append(text)

    def on_begin(_conn: Any) -> None:
        count.transactions += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)
