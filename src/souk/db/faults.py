"""What a database failure means for a client: down, too slow, or out of space.

Each of these happens inside a transaction that is then rolled back, so nothing was written
(except a commit cut off by an outage, which the client learns by retrying with its key); the
client may retry after `retry_after_s`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    sqlstate = getattr(original, "sqlstate", None)
    message = str(original or exc).lower()
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
