"""The transactional outbox: an event exists if and only if its change committed, and every
subscribed handler gets it at least once, retried after a failure."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from souk.access.tables import ApiKey
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import Dispatcher, Event, EventBus, OutboxEvent
from souk.db.uow import UnitOfWork
from tests.support.statements import counting


def _emit(db: Database, name: str, *, commit: bool, wake: list[int] | None = None) -> None:
    uow = UnitOfWork(db, on_events_committed=(lambda: wake.append(1)) if wake is not None else None)
    with uow:
        uow.emit(name, {"n": 1})
        if commit:
            uow.commit()


def test_event_from_rolled_back_transaction_is_never_dispatched(db: Database) -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe("*", lambda event: seen.append(event.name))
    wakes: list[int] = []

    _emit(db, "order.placed", commit=False, wake=wakes)
    with pytest.raises(RuntimeError), UnitOfWork(db) as uow:
        uow.emit("order.cancelled", {})
        raise RuntimeError("the command failed after emitting")
    _emit(db, "order.placed", commit=True, wake=wakes)

    assert Dispatcher(db, bus).dispatch_pending() == 1
    assert seen == ["order.placed"]
    assert wakes == [1]


def test_event_is_written_in_the_same_transaction_as_the_change(db: Database) -> None:
    with UnitOfWork(db) as uow:
        uow.session.add(
            ApiKey(
                id="key_x",
                name="x",
                role="admin",
                key_hash="h" * 64,
                hint="xxxx",
                created_at=utcnow(),
            )
        )
        uow.emit("api_key.created", {"id": "key_x"})
        uow.commit()
    with db.transaction(write=False) as session:
        events = list(session.scalars(select(OutboxEvent.payload)))
        assert events == [{"id": "key_x"}]
        assert session.get(ApiKey, "key_x") is not None


def _written(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id)))


def test_a_transactions_events_are_one_insert_in_emission_order(db: Database) -> None:
    with counting(db.engine) as count, UnitOfWork(db) as uow:
        for name in ("order.placed", "fulfillment_order.created", "order.routed"):
            uow.emit(name, {"name": name})
        uow.commit()
    inserts = [s for s in count.statements if s.startswith("INSERT INTO outbox_events")]
    assert len(inserts) == 1, count.report()
    assert _written(db) == ["order.placed", "fulfillment_order.created", "order.routed"]


def test_a_savepoint_rolled_back_takes_only_its_own_events(db: Database) -> None:
    with UnitOfWork(db) as uow:
        s = uow.session
        uow.emit("before.savepoint", {})
        with pytest.raises(RuntimeError), s.begin_nested():
            uow.emit("inside.rolled_back", {})
            raise RuntimeError("the step failed")
        with s.begin_nested():
            uow.emit("inside.released", {})
            # A released savepoint inside one that rolls back: both its events and those
            # emitted before it in the outer savepoint go.
            with pytest.raises(RuntimeError), s.begin_nested():
                with s.begin_nested():
                    uow.emit("inner.released", {})
                raise RuntimeError("the outer step failed")
        uow.emit("after.savepoints", {})
        uow.commit()
    assert _written(db) == ["before.savepoint", "inside.released", "after.savepoints"]


def test_an_event_emitted_before_a_released_savepoint_survives_its_outer_rollback(
    db: Database,
) -> None:
    # The release of the inner savepoint must not write the pending events inside the
    # outer one, whose rollback would then take the first event with it.
    with UnitOfWork(db) as uow:
        s = uow.session
        uow.emit("first", {})
        with pytest.raises(RuntimeError), s.begin_nested():
            with s.begin_nested():
                uow.emit("inner", {})
            raise RuntimeError("the outer step failed")
        uow.commit()
    assert _written(db) == ["first"]


def test_failing_handler_is_retried_with_backoff_and_its_error_kept(db: Database) -> None:
    bus = EventBus()
    calls: list[int] = []

    def flaky(event: Event) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise ConnectionError("webhook endpoint down")

    bus.subscribe("order.placed", flaky)
    _emit(db, "order.placed", commit=True)
    dispatcher = Dispatcher(db, bus)

    dispatcher.dispatch_pending()
    with db.transaction(write=False) as session:
        row = session.scalars(select(OutboxEvent)).one()
        assert row.dispatched_at is None
        assert row.attempts == 1
        assert "webhook endpoint down" in (row.last_error or "")
        assert row.available_at > utcnow()

    # Not due yet: the back-off holds it.
    assert dispatcher.dispatch_pending() == 0
    with db.transaction() as session:
        session.execute(update(OutboxEvent).values(available_at=utcnow() - timedelta(seconds=1)))
    assert dispatcher.dispatch_pending() == 1
    assert len(calls) == 2
    with db.transaction(write=False) as session:
        assert session.scalars(select(OutboxEvent)).one().dispatched_at is not None


def test_events_are_dispatched_in_commit_order_once(db: Database) -> None:
    bus = EventBus()
    seen: list[int] = []
    bus.subscribe("*", lambda event: seen.append(event.payload["i"]))
    for i in range(5):
        with UnitOfWork(db) as uow:
            uow.emit("thing.happened", {"i": i})
            uow.commit()
    dispatcher = Dispatcher(db, bus, batch_size=2)
    while dispatcher.dispatch_pending():
        pass
    assert seen == [0, 1, 2, 3, 4]
    assert dispatcher.dispatch_pending() == 0


def test_background_dispatcher_delivers_after_commit(db: Database) -> None:
    bus = EventBus()
    delivered = threading.Event()
    bus.subscribe("order.placed", lambda event: delivered.set())
    dispatcher = Dispatcher(db, bus)
    dispatcher.start()
    try:
        with UnitOfWork(db, on_events_committed=dispatcher.wake) as uow:
            uow.emit("order.placed", {})
            uow.commit()
        assert delivered.wait(timeout=10)
    finally:
        dispatcher.stop()
