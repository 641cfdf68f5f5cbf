"""Which database errors are the database's fault (503/507 with Retry-After) and which are
the request's (left to their own handlers): the mapping of souk.db.faults."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from souk.db.faults import FULL, TIMEOUT, UNAVAILABLE, classify


def _pg(sqlstate_error: type[Exception]) -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlstate_error("boom"))


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (_pg(psycopg.errors.QueryCanceled), TIMEOUT),
        (_pg(psycopg.errors.LockNotAvailable), TIMEOUT),
        (_pg(psycopg.errors.DiskFull), FULL),
        (_pg(psycopg.errors.AdminShutdown), UNAVAILABLE),
        (OperationalError("x", {}, psycopg.OperationalError("connection refused")), UNAVAILABLE),
        (OperationalError("x", {}, sqlite3.OperationalError("database or disk is full")), FULL),
        (OperationalError("x", {}, sqlite3.OperationalError("database is locked")), TIMEOUT),
        (OperationalError("x", {}, sqlite3.OperationalError("interrupted")), TIMEOUT),
        (PoolTimeout("QueuePool limit reached"), TIMEOUT),
    ],
)
def test_database_faults_are_classified(error: Exception, fault: object) -> None:
    assert classify(error) is fault


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("x", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
        DataError("x", {}, psycopg.errors.NumericValueOutOfRange("out of range")),
        ValueError("not a database error"),
    ],
)
def test_the_requests_own_errors_are_not_database_faults(error: Exception) -> None:
    assert classify(error) is None


def test_each_fault_tells_the_client_when_to_retry() -> None:
    assert (UNAVAILABLE.status, TIMEOUT.status, FULL.status) == (503, 503, 507)
    assert all(f.retry_after_s > 0 for f in (UNAVAILABLE, TIMEOUT, FULL))
