"""New vs returning buyers and monthly cohorts, from orders over several months."""

from __future__ import annotations

from datetime import UTC, date, datetime

from souk.analytics.refresh import refresh
from souk.analytics.service import kpi_board
from souk.db.engine import Database
from tests.support.analytics_data import Line, Order, insert_orders


def _order(n: int, customer: str | None, month: int, *, status: str = "placed") -> Order:
    return Order(
        id=f"ord_c{n:04d}", number=30_000 + n, channel="web", currency="EUR",
        placed_at=datetime(2026, month, 10, tzinfo=UTC), lines=[Line("SKU-1", 1, 1000)],
        customer_id=customer, status=status,
    )  # fmt: skip


def test_cohorts_and_returning_buyers(db: Database) -> None:
    insert_orders(
        db,
        [
            _order(1, "cus_a", 1), _order(2, "cus_b", 1), _order(3, "cus_c", 2),
            _order(4, "cus_a", 3), _order(5, None, 3),
            # A cancelled order makes nobody a customer.
            _order(6, "cus_d", 2, status="cancelled"),
        ],
    )  # fmt: skip
    refresh(db=db)

    quarter = kpi_board(settings=db.settings, start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert [c.model_dump() for c in quarter.cohorts] == [
        {
            "cohort": "2026-01",
            "customers": 2,
            "retained": [
                {"months_later": 1, "customers": 0, "rate": 0.0},
                {"months_later": 2, "customers": 1, "rate": 0.5},
            ],
        },
        {
            "cohort": "2026-02",
            "customers": 1,
            "retained": [{"months_later": 1, "customers": 0, "rate": 0.0}],
        },
    ]
    later = kpi_board(settings=db.settings, start=date(2026, 2, 1), end=date(2026, 3, 31))
    assert later.customers.model_dump() == {"new": 1, "returning": 1, "anonymous_orders": 1}
