"""The asynchronous ingestion stage (`SOUK_CDP_INGEST_ASYNC=1`): the API commits each
tracking call's body to `cdp_inbox` and answers `200`; a worker (`souk cdp-worker`, or
`souk worker`) resolves up to 25 calls per transaction.

Why: resolving a call is most of its cost and most of that cost is per transaction (the
claim look-up, the refresh of computed traits, the commit), so a worker that takes 25 calls
at once spends a fraction of what 25 requests did, in a process that can run at a lower
priority than checkout. Nothing answered is lost: the body is committed before the `200`,
and an inbox row is deleted only by the transaction that stores its events. A call whose
resolution keeps failing is set aside after MAX_ATTEMPTS tries with its error, never
dropped, and never holds up the calls behind it."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from souk.cdp import ingestion
from souk.cdp.models import MessageInvalid, messages_of
from souk.cdp.tables import CdpInboxRow
from souk.db.base import Base, utcnow
from souk.db.engine import WRITE, Database
from souk.db.uow import UnitOfWork, commit_hook

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
CHUNK = 25  # calls per transaction: up to 25 × 500 KB held at once
# SQLite has one writer: a chunk keeps every other write (a checkout's) waiting for its
# whole transaction, so there it is a few calls, interleaved with theirs.
SQLITE_CHUNK = 5


_STAGE = insert(Base.metadata.tables[CdpInboxRow.__tablename__])


def stage(*, uow: UnitOfWork, source: str, body: str, received_at: datetime) -> None:
    """Commit one call's JSON body (already checked to be a call Segment would answer
    `200` to, and without its write key) for the worker."""
    values = {"source": source, "body": body, "received_at": received_at, "attempts": 0}
    if commit_hook.get() is not None:
        # A request with an Idempotency-Key: its outcome commits in this transaction.
        with uow:
            uow.session.connection().execute(_STAGE, values)
            uow.commit()
        return
    # Otherwise the one INSERT on a connection of its own, without a Session: the
    # session's set-up, transaction bookkeeping and close were 0.5 of the 0.9 ms of CPU
    # that staging a call cost the API process, which is the order flow's process too.
    # On PostgreSQL the statement is its own transaction (autocommit): committed, durably,
    # before it returns, without a BEGIN and a COMMIT sent apart.
    with uow.db.engine.connect() as connection:
        if uow.db.is_sqlite:
            connection.execution_options(**{WRITE: True})  # BEGIN IMMEDIATE, as a UoW does
            with connection.begin():
                connection.execute(_STAGE, values)
            return
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(_STAGE, values)


def lag(db: Database) -> float:
    """How long the oldest call still waiting for a worker has waited, in seconds (0 when
    none does; set-aside calls do not count)."""
    with UnitOfWork(db, write=False) as uow:
        oldest = uow.session.scalar(
            select(CdpInboxRow.received_at)
            .where(CdpInboxRow.attempts < MAX_ATTEMPTS)
            .order_by(CdpInboxRow.id)
            .limit(1)
        )
    return max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def _call(row: CdpInboxRow) -> ingestion.Call:
    body = json.loads(row.body)
    try:
        messages = messages_of(body, kind=None)
    except MessageInvalid:
        messages = []  # the API checked it; a row edited by hand is not worth a crash
    return ingestion.Call(
        source=row.source,
        messages=messages,
        received_at=row.received_at,
        sent_at=body.get("sentAt"),
        size=len(row.body.encode()),
    )


def _claim(session: Session, *, limit: int, only: int | None = None) -> list[CdpInboxRow]:
    # SKIP LOCKED: several workers on PostgreSQL take different calls (SQLite has one
    # writer at a time and ignores the clause).
    stmt = select(CdpInboxRow).where(CdpInboxRow.attempts < MAX_ATTEMPTS)
    if only is not None:
        stmt = stmt.where(CdpInboxRow.id == only)
    stmt = stmt.order_by(CdpInboxRow.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def process(db: Database, *, limit: int = CHUNK, only: int | None = None) -> list[int]:
    """Resolve the oldest staged calls (up to `limit`) in one transaction, replayed on a
    race with another writer; returns the ids of the calls it stored."""
    for attempt in range(ingestion.ATTEMPTS):
        try:
            with UnitOfWork(db) as uow:
                rows = _claim(uow.session, limit=limit, only=only)
                if not rows:
                    return []
                valid, result = ingestion.check([_call(r) for r in rows])
                ingestion.write(uow, valid)
                ids = [r.id for r in rows]
                uow.session.execute(delete(CdpInboxRow).where(CdpInboxRow.id.in_(ids)))
                uow.commit()
        except (IntegrityError, OperationalError):
            if attempt == ingestion.ATTEMPTS - 1:
                raise
            continue
        if result.dropped:
            log.info("cdp inbox: %s messages dropped as invalid", len(result.dropped))
        return ids
    raise AssertionError("unreachable")


def _pending(db: Database, limit: int) -> list[int]:
    with UnitOfWork(db, write=False) as uow:
        stmt = select(CdpInboxRow.id).where(CdpInboxRow.attempts < MAX_ATTEMPTS)
        return list(uow.session.scalars(stmt.order_by(CdpInboxRow.id).limit(limit)))


def _set_aside(db: Database, row_id: int, error: Exception) -> None:
    with UnitOfWork(db) as uow:
        uow.session.execute(
            update(CdpInboxRow)
            .where(CdpInboxRow.id == row_id)
            .values(attempts=CdpInboxRow.attempts + 1, last_error=repr(error)[:2000])
        )
        uow.commit()


def run_once(db: Database, *, limit: int = CHUNK) -> int:
    """One round: the next chunk at once, or, if it fails, its calls one by one so that a
    call that cannot be stored only holds up itself. Returns how many calls were stored."""
    try:
        return len(process(db, limit=limit))
    except Exception:
        log.exception("cdp inbox: a chunk failed; storing its calls one at a time")
    stored = 0
    for row_id in _pending(db, limit):
        try:
            stored += len(process(db, limit=1, only=row_id))
        except OperationalError:
            raise  # the database's trouble, not the call's: no attempt is counted
        except Exception as exc:
            log.exception("cdp inbox: call %s failed", row_id)
            _set_aside(db, row_id, exc)
    return stored


def drain(db: Database) -> int:
    """Store every staged call now (a privacy request must see them all)."""
    total = 0
    while (stored := run_once(db)) > 0:
        total += stored
    return total


class IngestWorker(threading.Thread):
    """`run_once` straight on while it finds full chunks (a backlog), else a round every
    `poll_s` (the API is usually another process, so it cannot wake this one), until
    `stop()`.

    After a chunk that was not full it keeps that pace too, rather than going straight on:
    at a steady stream (5,000 events/s is 50 calls a second) going on at once resolved one
    or two calls per transaction, and a transaction's fixed work (claim, segments, the
    touched profiles' orders, commit) then cost as much as its events — 0.14 s of CPU per
    1,000 events at 2 calls, 0.085 at 10 (docs/benchmarks.md, 2026-12-07). A round that
    took `poll_s` or more is followed at once, so a slow (or starved) worker never waits."""

    def __init__(self, db: Database, *, poll_s: float, chunk: int | None = None) -> None:
        super().__init__(name="souk-cdp-ingest", daemon=True)
        self.db = db
        self.poll_s = poll_s
        self.chunk = chunk or (SQLITE_CHUNK if db.is_sqlite else CHUNK)
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=30)

    def run(self) -> None:
        while not self._halt.is_set():
            began = time.monotonic()
            try:
                if run_once(self.db, limit=self.chunk) >= self.chunk:
                    continue
            except Exception:
                log.exception("cdp inbox round failed; retrying")
            self._halt.wait(max(self.poll_s - (time.monotonic() - began), 0.0))
