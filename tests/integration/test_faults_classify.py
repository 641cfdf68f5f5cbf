"""Which database errors are the database's fault (503/507 with Retry-After) and which are
the request's (left to their own handlers): the mapping of souk.db.faults."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from souk.db.faults import CONFLICT, FULL, TIMEOUT, UNAVAILABLE, classify, retrying


def _pg(sqlstate_error: type[Exception]) -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlstate_error("boom"))


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (_pg(psycopg.errors.QueryCanceled), TIMEOUT),
        (_pg(psycopg.errors.LockNotAvailable), TIMEOUT),
        (_pg(psycopg.errors.DiskFull), FULL),
        (_pg(psycopg.errors.AdminShutdown), UNAVAILABLE),
        (_pg(psycopg.errors.DeadlockDetected), CONFLICT),
        (_pg(psycopg.errors.SerializationFailure), CONFLICT),
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
    assert (UNAVAILABLE.status, TIMEOUT.status, FULL.status, CONFLICT.status) == (
        503, 503, 507, 503,
    )  # fmt: skip
    assert all(f.retry_after_s > 0 for f in (UNAVAILABLE, TIMEOUT, FULL, CONFLICT))


def _failing(errors: list[Exception]) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def unit() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "committed"

    return calls, unit


def test_a_unit_of_work_that_collided_is_rerun_until_it_commits() -> None:
    calls, unit = _failing([_pg(psycopg.errors.DeadlockDetected)] * 2)
    assert retrying(unit) == "committed"
    assert len(calls) == 3


def test_a_unit_of_work_that_keeps_colliding_is_given_up_after_three_attempts() -> None:
    calls, unit = _failing([_pg(psycopg.errors.SerializationFailure)] * 3)
    with pytest.raises(OperationalError) as raised:
        retrying(unit)
    assert (len(calls), classify(raised.value)) == (3, CONFLICT)


def test_an_outage_is_not_rerun() -> None:
    calls, unit = _failing([_pg(psycopg.errors.AdminShutdown)])
    with pytest.raises(OperationalError):
        retrying(unit)
    assert len(calls) == 1
