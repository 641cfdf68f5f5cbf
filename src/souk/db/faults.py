"""What a database failure means for a client: down, too slow, out of space, or a collision
with a concurrent transaction.

Each of these happens inside a transaction that is then rolled back, so nothing was written
(except a commit cut off by an outage, which the client learns by retrying with its key); the
client may retry after `retry_after_s`. A collision (PostgreSQL's SQLSTATE class 40: a
deadlock, a serialization failure) is what PostgreSQL asks the application to retry itself:
`retrying` reruns a whole unit of work a few times before the client is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs (Appendix A of its manual).
_QUERY_CANCELED = "57014"  # statement_timeout, or a cancel request
_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout
_DISK_FULL = "53100"
_TRANSACTION_ROLLBACK = "40"  # the class: 40001 serialization failure, 40P01 deadlock

T = TypeVar("T")


@dataclass(frozen=True)
class DatabaseFault:
    status: int
    problem: str
    title: str
    detail: str
    retry_after_s: int


UNAVAILABLE = DatabaseFault(
    503,
    "database-unavailable",
    "Database unavailable",
    # A write cut off at its commit may have landed: a retry with the same Idempotency-Key
    # tells the client which (invariant 9).
    "The database cannot be reached. Retry shortly, with the same Idempotency-Key for a write.",
    2,
)
TIMEOUT = DatabaseFault(
    503,
    "database-timeout",
    "Database too slow",
    "The database did not answer within the statement timeout; nothing was changed.",
    1,
)
FULL = DatabaseFault(
    507,
    "storage-full",
    "Insufficient storage",
    "The database has no space left to store this; nothing was changed.",
    30,
)

CONFLICT = DatabaseFault(
    503,
    "database-conflict",
    "Concurrent update",
    "This request kept colliding with others changing the same data; nothing was changed. "
    "Retry, with the same Idempotency-Key for a write.",
    1,
)

FAULT_TYPES = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


def classify(exc: BaseException) -> DatabaseFault | None:
    """The fault behind `exc`, or None if it is not a database outage, slowness or full disk
    (an integrity or data error is the request's fault, not the database's)."""
    if isinstance(exc, PoolTimeout):
        # Every pooled connection is busy for longer than SOUK_DB_POOL_TIMEOUT_S.
        return TIMEOUT
    if not isinstance(exc, FAULT_TYPES):
        return None
    original = exc.orig if isinstance(exc, DBAPIError) else None
    sqlstate = sqlstate_of(exc)
    message = str(original or exc).lower()
    if sqlstate is not None and sqlstate.startswith(_TRANSACTION_ROLLBACK):
        return CONFLICT
    if sqlstate in (_QUERY_CANCELED, _LOCK_NOT_AVAILABLE):
        return TIMEOUT
    if sqlstate == _DISK_FULL:
        return FULL
    # SQLite: SQLITE_FULL, SQLITE_INTERRUPT (our statement deadline), SQLITE_BUSY.
    if "database or disk is full" in message or "disk i/o error" in message:
        return FULL
    if message.startswith("interrupted") or "database is locked" in message:
        return TIMEOUT
    return UNAVAILABLE


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE the database gave, for the log (SQLite gives none)."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    state = getattr(original, "sqlstate", None)
    return state if isinstance(state, str) else None


def retrying(unit: Callable[[], T], *, attempts: int = 3) -> T:
    """`unit()` — one whole transaction, opened and committed inside — rerun while it is
    rolled back for colliding with a concurrent one (a deadlock's victim, a serialization
    failure). The rerun reads afresh, so it decides on what the winner committed; after
    `attempts` the collision reaches the client as CONFLICT."""
    for _ in range(attempts - 1):
        try:
            return unit()
        except OperationalError as exc:
            if classify(exc) is not CONFLICT:
                raise
    return unit()
