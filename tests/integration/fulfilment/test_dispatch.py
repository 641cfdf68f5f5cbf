"""Event handlers that write in their own unit of work (routing on `order.placed`) are
dispatched promptly on both back ends: the dispatcher must not hold SQLite's write lock
while handlers run."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from souk.db.engine import Database
from souk.db.outbox import Dispatcher, Event, EventBus, OutboxEvent
from souk.db.uow import UnitOfWork


def test_a_handler_that_writes_is_not_blocked_by_the_dispatcher(db: Database) -> None:
    bus = EventBus()

    def handler(event: Event) -> None:
        with UnitOfWork(db) as uow:
            uow.emit("thing.followed_up", {"after": event.id})
            uow.commit()

    bus.subscribe("thing.happened", handler)
    with UnitOfWork(db) as uow:
        uow.emit("thing.happened", {})
        uow.commit()

    started = time.monotonic()
    assert Dispatcher(db, bus).dispatch_pending() == 1
    assert time.monotonic() - started < 5  # not the 30 s busy timeout

    with db.transaction(write=False) as session:
        pending = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
        )
        names = sorted(session.scalars(select(OutboxEvent.name)))
    assert names == ["thing.followed_up", "thing.happened"]
    assert pending == 1  # the follow-up, not yet dispatched
