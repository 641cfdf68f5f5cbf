"""The process's copy of reference data (souk.db.reference): kept for its time, read again by
one thread when it lapses while the others go on with the old value, and never given out
again after a `forget`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.orm import Session

from souk.db import reference
from souk.db.engine import Database
from souk.db.reference import ReferenceCache
from souk.db.uow import UnitOfWork
from tests.support.clock import ManualClock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    clock = ManualClock()
    monkeypatch.setattr(reference.time, "monotonic", clock)
    return clock


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with UnitOfWork(db, write=False) as uow:
        yield uow.session


def test_a_value_is_kept_for_its_time_then_read_again(
    db: Database, session: Session, clock: ManualClock
) -> None:
    cache = ReferenceCache("test")
    reads: list[int] = []

    def load() -> int:
        reads.append(1)
        return len(reads)

    assert cache.get(session, "k", load) == 1
    clock.now += db.settings.reference_cache_ms / 1000 - 0.001
    assert cache.get(session, "k", load) == 1
    clock.now += 0.002
    assert cache.get(session, "k", load) == 2
    assert len(reads) == 2


@contextmanager
def read_in_flight(
    cache: ReferenceCache, db: Database, session: Session, clock: ManualClock, answer: str
) -> Iterator[list[str]]:
    """`cache` holding "old" for key "k", lapsed, with one thread inside reading it again;
    that read answers `answer` when the block ends. Yields what the thread was given
    (there once the block has ended)."""
    assert cache.get(session, "k", lambda: "old") == "old"
    clock.now += db.settings.reference_cache_ms / 1000 + 1
    inside, release = threading.Event(), threading.Event()

    def slow_read() -> str:
        inside.set()
        assert release.wait(30)
        return answer

    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(cache.get(session, "k", slow_read)))
    reader.start()
    assert inside.wait(30)
    try:
        yield got
    finally:
        release.set()
        reader.join(30)


def test_a_lapsed_value_is_read_again_by_one_thread_while_the_others_keep_the_old(
    db: Database, session: Session, clock: ManualClock
) -> None:
    cache = ReferenceCache("test")
    others: list[str] = []

    def another_read() -> str:
        others.append("read")
        return "x"

    with read_in_flight(cache, db, session, clock, "new") as got:
        # While the first thread reads it again, the others have the old value, reading
        # nothing.
        for _ in range(5):
            assert cache.get(session, "k", another_read) == "old"
    assert got == ["new"]
    assert others == []
    assert cache.get(session, "k", lambda: "unused") == "new"


def test_after_a_forget_nobody_is_given_the_old_value(
    db: Database, session: Session, clock: ManualClock
) -> None:
    cache = ReferenceCache("test")
    with read_in_flight(cache, db, session, clock, "read before the change"):
        cache.forget(db)
        # The change is committed: a read now reads, rather than take the lapsed value.
        assert cache.get(session, "k", lambda: "changed") == "changed"
    # And the read that began before the change is not kept.
    assert cache.get(session, "k", lambda: "unused") == "changed"
