"""The store follows the primary incrementally: new orders, changed orders and late
commits inside the overlap arrive; a refresh racing queries is seen whole or not at all."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from souk.analytics.refresh import refresh
from souk.analytics.service import sales_report
from souk.db.engine import Database
from souk.orders.tables import OrderRow
from tests.support.analytics_data import Line, Order, insert_orders

DAY = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _order(n: int, amount: int, *, at: datetime = DAY) -> Order:
    return Order(
        id=f"ord_i{n:06d}", number=20_000 + n, channel="web", currency="EUR",
        placed_at=at, lines=[Line("SKU-1", 1, amount)],
    )  # fmt: skip


def _revenue(db: Database) -> int:
    report = sales_report(
        settings=db.settings, start=date(2026, 3, 1), end=date(2026, 3, 3), by=None
    )
    return sum(r.revenue.amount for r in report.rows)


def test_refresh_copies_only_what_changed(db: Database) -> None:
    insert_orders(db, [_order(1, 1000), _order(2, 2000)])
    first = refresh(db=db)
    assert first.full is True
    assert (first.rows["orders"], first.rows["order_lines"]) == (2, 2)
    assert _revenue(db) == 3000

    # A new order, and a cancellation (which moves the order's updated_at).
    insert_orders(db, [_order(3, 4000)])
    with db.engine.begin() as conn:
        conn.execute(
            update(OrderRow)
            .where(OrderRow.id == "ord_i000001")
            .values(status="cancelled", updated_at=datetime.now(UTC))
        )
    second = refresh(db=db)
    assert second.full is False
    # The watermark is the latest change seen (DAY); the new order's change time is at it,
    # the cancellation's after it: both arrive, and nothing else is read again.
    assert second.rows["orders"] == 3 - 1 + 1
    assert _revenue(db) == 2000 + 4000
    # The cancelled order's lines stop counting by category too.
    by_category = sales_report(
        settings=db.settings, start=date(2026, 3, 1), end=date(2026, 3, 3), by="category"
    )
    assert [(r.category, r.orders, r.revenue.amount) for r in by_category.rows] == [(None, 2, 6000)]


def test_a_late_commit_inside_the_overlap_is_not_lost(db: Database) -> None:
    now = datetime.now(UTC)
    insert_orders(db, [_order(1, 1000, at=now)])
    refresh(db=db)
    # Committed after the refresh, but stamped before the watermark (a long transaction).
    insert_orders(db, [_order(2, 500, at=now - timedelta(seconds=60))])
    again = refresh(db=db)
    assert again.rows["orders"] >= 1
    today = now.date()
    report = sales_report(settings=db.settings, start=today - timedelta(days=1), end=today, by=None)
    assert sum(r.revenue.amount for r in report.rows) == 1500


def test_queries_racing_a_refresh_see_it_whole_or_not_at_all(db: Database) -> None:
    insert_orders(db, [_order(n, 100) for n in range(1, 201)])
    refresh(db=db)
    insert_orders(db, [_order(n, 100) for n in range(201, 5001)])
    seen: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def reader() -> None:
        start.wait()
        try:
            for _ in range(15):
                seen.append(_revenue(db))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def writer() -> None:
        start.wait()
        try:
            refresh(db=db, full=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [
        threading.Thread(target=writer)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(seen) <= {200 * 100, 5000 * 100}
    assert _revenue(db) == 5000 * 100
