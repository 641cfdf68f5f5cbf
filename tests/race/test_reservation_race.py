"""Never oversell: reservations that really race, on a real SQLite file and a real PostgreSQL.

Threads in one process, several processes, and several `souk serve --workers 2` servers
compete for the same units; each test asserts the exact number of successes and that
reserved + allocated never exceeds on hand.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from souk.catalog.tables import VariantRow
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import OutOfStock
from souk.inventory import reservations
from souk.inventory.models import ReserveLine
from souk.inventory.queries import as_dict
from souk.inventory.tables import ReservationLineRow, StockRow
from souk.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.inventory import factories as f
from tests.support.server import live_server


def _seed(db: Database, units: dict[str, int]) -> None:
    f.location(db, "wh-1")
    f.location(db, "wh-2")
    for sku in units:
        f.variant(db, sku)
    for sku, quantity in units.items():
        # split over two locations so that a line may need both
        f.receive(db, sku, "wh-1", quantity // 2)
        f.receive(db, sku, "wh-2", quantity - quantity // 2)
    f.channel(db, "web", ship_from=("wh-1", "wh-2"))


def _try_reserve(db: Database, lines: list[ReserveLine]) -> bool:
    with UnitOfWork(db) as uow:
        channel = get_channel(session=uow.session, code="web")
        try:
            reservations.reserve(
                session=uow.session,
                channel=channel,
                lines=lines,
                expires_at=utcnow() + timedelta(minutes=15),
            )
        except OutOfStock:
            return False
        uow.commit()
        return True


def _race(workers: int, attempts: int, attempt: Callable[[], bool]) -> int:
    """`workers` threads released together, each making `attempts`; returns the successes."""
    start = threading.Barrier(workers)

    def run() -> int:
        start.wait()
        return sum(attempt() for _ in range(attempts))

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(lambda _: run(), range(workers)))


def _assert_never_oversold(db: Database, sku_units: dict[str, int]) -> dict[str, int]:
    """Invariant 1 on every stock row, and `reserved` equal to the held lines; returns the
    units reserved per SKU."""
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.execute(
            select(
                VariantRow.sku,
                StockRow.id,
                StockRow.location_id,
                StockRow.on_hand,
                StockRow.reserved,
                StockRow.allocated,
            ).join(VariantRow, VariantRow.id == StockRow.variant_id)
        ).all()
        held = as_dict(
            uow.session.execute(
                select(ReservationLineRow.stock_id, func.sum(ReservationLineRow.quantity))
                .where(ReservationLineRow.status == "held")
                .group_by(ReservationLineRow.stock_id)
            )
        )
    reserved: dict[str, int] = {}
    for sku, stock_id, location_id, on_hand, held_units, allocated in rows:
        assert held_units + allocated <= on_hand, (sku, location_id)
        assert held_units == held.get(stock_id, 0)
        reserved[sku] = reserved.get(sku, 0) + held_units
    for sku, units in sku_units.items():
        assert sum(row.on_hand for row in rows if row.sku == sku) == units
    return reserved


def test_threads_racing_for_one_sku_sell_each_unit_once(db: Database) -> None:
    # given 40 units of one SKU over two warehouses
    _seed(db, {"HOT": 40})
    # when 16 threads each try 6 times to reserve one unit (96 attempts)
    won = _race(16, 6, lambda: _try_reserve(db, [ReserveLine("HOT", 1)]))
    # then exactly 40 succeed and nothing is oversold
    assert won == 40
    assert _assert_never_oversold(db, {"HOT": 40}) == {"HOT": 40}


def test_racing_carts_are_reserved_whole_or_not_at_all(db: Database) -> None:
    # given 20 of A and 20 of B
    _seed(db, {"A": 20, "B": 20})
    carts = {"pair": [ReserveLine("A", 1), ReserveLine("B", 1)], "twin": [ReserveLine("B", 1)] * 2}
    counts = {"pair": 0, "twin": 0}
    lock = threading.Lock()

    def attempt(kind: str) -> Callable[[], bool]:
        def run() -> bool:
            ok = _try_reserve(db, carts[kind])
            if ok:
                with lock:  # only the test's own tally, not the code under test
                    counts[kind] += 1
            return ok

        return run

    # when carts of (A, B) and carts of (B, B) race
    start = threading.Barrier(12)

    def worker(i: int) -> None:
        start.wait()
        run = attempt("pair" if i % 2 else "twin")
        for _ in range(5):
            run()

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(worker, range(12)))
    # then every success took all its lines: A went to pairs only, B to both
    reserved = _assert_never_oversold(db, {"A": 20, "B": 20})
    assert reserved["A"] == counts["pair"]
    assert reserved["B"] == counts["pair"] + 2 * counts["twin"]
    assert reserved["B"] == 20


def _process_worker(url: str, threads: int, attempts: int) -> int:
    db = Database(Settings(database_url=url))
    try:
        return _race(threads, attempts, lambda: _try_reserve(db, [ReserveLine("HOT", 1)]))
    finally:
        db.dispose()


@pytest.mark.slow
def test_processes_racing_for_one_sku_sell_each_unit_once(db: Database) -> None:
    # given 50 units
    _seed(db, {"HOT": 50})
    # when 4 processes of 4 threads each try 6 times (96 attempts)
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        won = sum(pool.starmap(_process_worker, [(db.url, 4, 6)] * 4))
    # then exactly 50 succeed
    assert won == 50
    assert _assert_never_oversold(db, {"HOT": 50}) == {"HOT": 50}


@pytest.mark.slow
def test_two_servers_with_two_workers_each_sell_each_unit_once(db: Database) -> None:
    # given 60 units and two servers of two worker processes on the same database
    _seed(db, {"HOT": 60})
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    body = {"channel": "web", "lines": [{"sku": "HOT", "quantity": 1}], "expires_in_s": 600}
    statuses: list[int] = []
    lock = threading.Lock()
    # Small pools and a patient start: the PostgreSQL server and the machine are shared.
    env = {"SOUK_DB_POOL_SIZE": "4", "SOUK_DB_MAX_OVERFLOW": "4"}
    with (
        live_server(db.url, ADMIN_KEY, workers=2, env=env, ready_timeout_s=180) as one,
        live_server(db.url, ADMIN_KEY, workers=2, env=env, ready_timeout_s=180) as two,
    ):
        servers = [one.url, two.url]

        def attempt_on(base: str, client: httpx.Client) -> bool:
            response = client.post(base + "/v1/inventory/reservations", json=body, headers=headers)
            with lock:
                statuses.append(response.status_code)
            return response.status_code == 201

        def worker(i: int) -> int:
            with httpx.Client(timeout=60) as client:
                start.wait()
                return sum(attempt_on(servers[i % 2], client) for _ in range(8))

        # when 16 HTTP clients, half on each server, try 8 times each (128 attempts)
        start = threading.Barrier(16)
        with ThreadPoolExecutor(16) as pool:
            won = sum(pool.map(worker, range(16)))
    # then exactly 60 succeed, the rest are clean 409s
    assert won == 60
    assert sorted(set(statuses)) == [201, 409]
    assert statuses.count(409) == 128 - 60
    assert _assert_never_oversold(db, {"HOT": 60}) == {"HOT": 60}
