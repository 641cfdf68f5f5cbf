"""Property: the revenue of any period is exactly the sum of its orders' totals, per
currency, however the orders fall on days, currencies and statuses — on both back ends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from souk.analytics.refresh import refresh
from souk.analytics.service import sales_report
from souk.db.engine import Database
from souk.orders.tables import OrderLineRow, OrderRow
from tests.support.analytics_data import Line, Order, insert_orders

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)

orders_st = st.lists(
    st.tuples(
        st.integers(0, 20 * 86_400 - 1),  # seconds after DAY0
        st.sampled_from(["EUR", "JPY", "USD"]),
        st.sampled_from(["web", "app", "pos-1"]),
        st.lists(st.tuples(st.integers(1, 5), st.integers(0, 10**9)), min_size=1, max_size=4),
        st.integers(0, 2000),
        st.booleans(),  # cancelled
    ),
    max_size=40,
)


def _orders(specs: list[tuple]) -> list[Order]:  # type: ignore[type-arg]
    return [
        Order(
            id=f"ord_p{i:06d}",
            number=10_000 + i,
            channel=channel,
            currency=currency,
            placed_at=DAY0 + timedelta(seconds=offset),
            lines=[Line(f"SKU-{q}", q, total) for q, total in lines],
            shipping=shipping,
            status="cancelled" if cancelled else "placed",
        )
        for i, (offset, currency, channel, lines, shipping, cancelled) in enumerate(specs)
    ]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=orders_st, first=st.integers(0, 19), length=st.integers(0, 19))
def test_revenue_of_a_period_is_the_sum_of_its_orders(
    db: Database,
    specs: list[tuple],
    first: int,
    length: int,  # type: ignore[type-arg]
) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(OrderLineRow))
        conn.execute(delete(OrderRow))
    orders = _orders(specs)
    if orders:
        insert_orders(db, orders)
    refresh(db=db, full=True)
    start = date(2026, 3, 1) + timedelta(days=first)
    end = start + timedelta(days=length)

    expected: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for o in orders:
        if o.status != "cancelled" and start <= o.placed_at.date() <= end:
            expected[o.currency] += o.total
            counted[o.currency] += 1

    whole = sales_report(settings=db.settings, start=start, end=end, by=None)
    assert {r.revenue.currency: r.revenue.amount for r in whole.rows} == dict(expected)
    assert {r.revenue.currency: r.orders for r in whole.rows} == dict(counted)
    # Split by day and channel, the pieces add up to the same figures, never mixing money.
    daily = sales_report(settings=db.settings, start=start, end=end, by="day,channel")
    summed: Counter[str] = Counter()
    for r in daily.rows:
        assert start <= r.period <= end
        summed[r.revenue.currency] += r.revenue.amount
    assert summed == expected
