"""The per-process memory of sold-out SKUs: refusals only, short-lived, per database."""

from __future__ import annotations

import pytest

from souk.carts import sold_out as module
from souk.carts.sold_out import SoldOut
from souk.db.engine import Database
from souk.settings import Settings


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    return now


class _Db(Database):
    """Only the settings are used: no engine is needed."""

    def __init__(self, ms: int) -> None:
        self.settings = Settings(sold_out_cache_ms=ms)


def _db(ms: int = 200) -> Database:
    return _Db(ms)


def test_a_short_sku_is_refused_until_its_memory_lapses(clock: list[float]) -> None:
    cache, db = SoldOut(), _db()
    cache.remember(db, "web", [("DROP", 0)])
    assert cache.refusal(db, "web", [("DROP", 1)]) == [
        {"sku": "DROP", "requested": 1, "available": 0}
    ]
    assert cache.refusal(db, "app", [("DROP", 1)]) == []  # another channel asks the database
    clock[0] += 0.25
    assert cache.refusal(db, "web", [("DROP", 1)]) == []


def test_only_what_was_seen_short_is_refused(clock: list[float]) -> None:
    cache, db = SoldOut(), _db()
    cache.remember(db, "web", [("TEE", 2)])
    assert cache.refusal(db, "web", [("TEE", 2)]) == []
    assert cache.refusal(db, "web", [("TEE", 3), ("CAP", 1)]) == [
        {"sku": "TEE", "requested": 3, "available": 2}
    ]


def test_giving_units_back_forgets_at_once_and_zero_switches_it_off(clock: list[float]) -> None:
    cache, db, other = SoldOut(), _db(), _db()
    cache.remember(db, "web", [("DROP", 0)])
    assert cache.refusal(other, "web", [("DROP", 1)]) == []  # per database
    cache.forget(db, ["DROP"])
    assert cache.refusal(db, "web", [("DROP", 1)]) == []
    off = _db(ms=0)
    cache.remember(off, "web", [("DROP", 0)])
    assert cache.refusal(off, "web", [("DROP", 1)]) == []


def test_when_the_memory_lapses_one_checkout_looks_again_and_the_others_wait(
    clock: list[float],
) -> None:
    cache, db = SoldOut(), _db()
    cache.remember(db, "web", [("DROP", 0)])
    clock[0] += 0.25
    assert cache.refusal(db, "web", [("DROP", 1)]) == []  # this one asks the database
    refused = [{"sku": "DROP", "requested": 1, "available": 0}]
    assert cache.refusal(db, "web", [("DROP", 1)]) == refused  # the herd does not
    cache.forget(db, ["DROP"])  # the database said: in stock again
    assert cache.refusal(db, "web", [("DROP", 1)]) == []


def test_lapsed_entries_are_dropped_once_many_skus_are_remembered(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "MAX_SKUS", 3)
    cache, db = SoldOut(), _db()
    cache.remember(db, "web", [(f"OLD-{i}", 0) for i in range(4)])
    clock[0] += 0.25
    cache.remember(db, "web", [("NEW", 0)])
    assert cache.refusal(db, "web", [("NEW", 1)]) != []
    assert set(cache._seen[db]) == {"NEW"}
