"""The transactional outbox and its in-process dispatcher.

A domain event is a row written in the same transaction as the change it announces, so an
event exists if and only if the change committed. After commit the dispatcher hands each
event to every subscribed handler, at least once: a handler that fails is retried with
back-off and its error is kept on the row, never swallowed. Handlers must be idempotent
(they may see an event twice after a crash). With several worker processes on PostgreSQL
the rows are claimed with SKIP LOCKED so that two dispatchers never work on the same event.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, Text, bindparam, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from souk.db.base import Base, table_of, utcnow
from souk.db.engine import Database
from souk.db.types import BigIntPK, Json

log = logging.getLogger(__name__)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "available_at", "id"),)


# The names of the events the session's transaction wrote, for what watches commits
# (`souk.db.timed.TimedCache.watch`); forgotten when the transaction ends.
EMITTED = "souk_emitted"
_INSERT_EVENT = insert(table_of(OutboxEvent))  # built once: every command emits


# The rows of the events not written yet, and where each open savepoint began in them.
_PENDING = "souk_outbox_pending"
_MARKS = "souk_outbox_marks"


def append(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Add an event to the session's transaction. The events of a transaction are written
    together, by one INSERT just before it commits (routing's two events at checkout were
    two statements); an ORM object would cost a flush of the unit of work each. A savepoint
    rolled back takes the events emitted in it with it, and so does a rollback."""
    now = utcnow()
    row = {"name": name, "payload": payload, "created_at": now, "available_at": now,
           "dispatched_at": None, "attempts": 0, "last_error": None}  # fmt: skip
    session.info.setdefault(_PENDING, []).append(row)
    session.info.setdefault(EMITTED, []).append(name)


def write_pending(session: Session) -> None:
    """Write the transaction's events not written yet, in one INSERT. Called by the unit of
    work right before it commits (whatever savepoint is still open then commits too)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.execute(_INSERT_EVENT, rows)


@sa_event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    # Any other commit of the whole transaction. Also fired when a savepoint is released:
    # not then, since a savepoint around it may still roll back, and with it an event
    # emitted before this savepoint began.
    if not session.in_nested_transaction():
        write_pending(session)


@sa_event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, ()))


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # After the savepoint's `after_transaction_end`, so its mark is kept until here.
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        pending = session.info.get(_PENDING)
        if mark is not None and pending:
            del pending[mark:]


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_emitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(EMITTED, None)
        session.info.pop(_PENDING, None)  # rolled back, or written before the commit
        session.info.pop(_MARKS, None)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    name: str
    payload: dict[str, Any]
    created_at: datetime
    # What one reaction read about the event, for the reactions after it: the dispatcher
    # hands every handler of an event the same Event (see `souk.orders.placed`). Only facts
    # that cannot change go here; a handler that runs alone finds it empty and reads.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Handler = Callable[[Event], None]


class BatchHandler:
    """A handler whose work is cheaper in bulk (one transaction for many events): the
    dispatcher and the stream's consumers hand it every event of a batch it subscribed to,
    in id order, at once. Called with one event it is a plain handler. Like every handler
    it must be idempotent: a failure retries the whole batch."""

    def handle_many(self, events: Sequence[Event]) -> None:
        raise NotImplementedError

    def __call__(self, event: Event) -> None:
        self.handle_many([event])


class EventBus:
    """Who wants which event. `"*"` subscribes to every event."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        self._handlers[name].append(handler)

    def handlers_for(self, name: str) -> list[Handler]:
        return [*self._handlers.get(name, ()), *self._handlers.get("*", ())]

    def subscriptions(self) -> list[tuple[str, Handler]]:
        """Every (event name, handler) pair: the event stream runs one durable consumer
        for each, so that one failing handler never makes another see an event again."""
        return [(name, h) for name, handlers in self._handlers.items() for h in handlers]


_outbox = table_of(OutboxEvent)
# Marking a batch dispatched, built once (every batch sends it).
_MARK = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("done", expanding=True)), _outbox.c.dispatched_at.is_(None))
    .values(dispatched_at=bindparam("now"))
)


def _event_of(row: Any) -> Event:
    """An event of a row of `Dispatcher._due_rows` (id, name, payload, created_at)."""
    event_id, name, payload, created_at = row
    return Event(event_id, name, dict(payload), created_at)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


class Dispatcher:
    def __init__(self, db: Database, bus: EventBus, *, batch_size: int = 100) -> None:
        self.db = db
        self.bus = bus
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The due-events reads, built once per dispatcher: it sends one per batch.
        # Core, on the table: the events are read as plain rows, not ORM objects, whose
        # loading cost more than the statement.
        events = table_of(OutboxEvent)
        self._due_rows = (
            select(events.c.id, events.c.name, events.c.payload, events.c.created_at)
            .where(events.c.dispatched_at.is_(None), events.c.available_at <= bindparam("now"))
            .order_by(events.c.id)
            .limit(batch_size)
        )
        self._due_locked = self._due_rows.with_for_update(skip_locked=True)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="souk-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                while self.dispatch_pending() == self.batch_size:
                    pass
            except Exception:
                log.exception("outbox dispatch failed; retrying")

    def dispatch_pending(self) -> int:
        """Dispatch one batch of due events; returns how many rows it looked at."""
        if self.db.is_sqlite:
            return self._dispatch_without_holding_the_lock()
        with self.db.transaction() as session:
            rows = session.execute(self._due_locked, {"now": utcnow()}).all()
            self._mark(session, self._handle_all([_event_of(row) for row in rows]))
            return len(rows)

    def _handle_all(self, events: list[Event]) -> dict[int, Exception | None]:
        """Every handler for every event; each event's first error, or None. Plain handlers
        run event by event; a batch handler then gets, in one call, the events it wants
        that no plain handler failed on."""
        errors: dict[int, Exception | None] = {}
        batches: dict[int, tuple[BatchHandler, list[Event]]] = {}
        for event in events:
            errors[event.id] = None
            try:
                for handler in self.bus.handlers_for(event.name):
                    if isinstance(handler, BatchHandler):
                        batches.setdefault(id(handler), (handler, []))[1].append(event)
                    else:
                        handler(event)
            except Exception as exc:
                log.exception("handler failed for event %s (%s)", event.id, event.name)
                errors[event.id] = exc
        for handler, wanted in batches.values():
            live = [e for e in wanted if errors[e.id] is None]
            if not live:
                continue
            try:
                handler.handle_many(live)
            except Exception as exc:
                log.exception("batch handler failed for events %s…%s", live[0].id, live[-1].id)
                for event in live:
                    errors[event.id] = exc
        return errors

    @staticmethod
    def _mark(session: Session, outcomes: dict[int, Exception | None]) -> None:
        """The handled events marked dispatched in one statement; each failed one keeps
        its error and waits its back-off (rare, so row by row)."""
        done = [event_id for event_id, error in outcomes.items() if error is None]
        if done:
            session.execute(_MARK, {"done": done, "now": utcnow()})
        for event_id, error in outcomes.items():
            if error is None:
                continue
            row = session.get(OutboxEvent, event_id)
            if row is not None and row.dispatched_at is None:
                row.attempts += 1
                row.last_error = repr(error)[:2000]
                row.available_at = utcnow() + backoff(row.attempts)

    def _dispatch_without_holding_the_lock(self) -> int:
        # SQLite has one writer at a time: a dispatcher holding the write lock while the
        # handlers run would make every handler that writes in its own unit of work (routing
        # an order on `order.placed`, say) wait for the dispatcher until its busy timeout.
        # So the batch is read, handled, and only then marked, in a short write of its own.
        with self.db.transaction(write=False) as session:
            rows = session.execute(self._due_rows, {"now": utcnow()}).all()
            events = [_event_of(row) for row in rows]
        outcomes = self._handle_all(events)
        if outcomes:
            with self.db.transaction() as session:
                self._mark(session, outcomes)
        return len(events)
