"""The analytics use cases, shared by the API, the CLI and the report."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from souk.analytics import inventory, kpis
from souk.analytics.models import Grouping, Period
from souk.analytics.sales import SalesRow, sales
from souk.analytics.schemas import (
    CurrencyTotalsRead,
    KpiRatioRead,
    KpisRead,
    ReturnRatesRead,
    SalesRead,
    SalesRowRead,
)
from souk.analytics.store import first, reading, store_path
from souk.api.shapes import Money
from souk.settings import Settings


def _refreshed_at(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    row = first(conn.execute("SELECT value FROM meta WHERE key = 'refreshed_at'"))
    return datetime.fromisoformat(row[0] + "+00:00") if row else None


def _row(r: SalesRow) -> SalesRowRead:
    return SalesRowRead(
        period=date.fromisoformat(r.period),
        **r.dimensions,
        orders=r.orders,
        revenue=Money(amount=r.revenue, currency=r.currency),
        aov=Money(amount=r.aov, currency=r.currency),
        units=r.units,
        refunded=None if r.refunded is None else Money(amount=r.refunded, currency=r.currency),
    )


def sales_report(*, settings: Settings, start: date, end: date, by: str | None) -> SalesRead:
    period, grouping = Period.of(start, end), Grouping.parse(by)
    with reading(store_path(settings)) as conn:
        rows = sales(conn, period=period, grouping=grouping)
        refreshed = _refreshed_at(conn)
    return SalesRead(
        from_=period.start,
        to=period.end,
        by=[*([grouping.grain] if grouping.grain else []), *grouping.dimensions],
        rows=[_row(r) for r in rows],
        refreshed_at=refreshed,
    )


def _ratio(r: kpis.Ratio) -> KpiRatioRead:
    return KpiRatioRead(count=r.part, of=r.whole, rate=r.rate)


def kpi_board(*, settings: Settings, start: date, end: date) -> KpisRead:
    period = Period.of(start, end)
    with reading(store_path(settings)) as conn:
        totals = sales(conn, period=period, grouping=Grouping(None, ()))
        returns = kpis.return_rates(conn, period)
        board = KpisRead(
            from_=period.start,
            to=period.end,
            refreshed_at=_refreshed_at(conn),
            sales=[
                CurrencyTotalsRead(
                    currency=t.currency,
                    orders=t.orders,
                    revenue=Money(amount=t.revenue, currency=t.currency),
                    aov=Money(amount=t.aov, currency=t.currency),
                    units=t.units,
                    refunded=Money(amount=t.refunded or 0, currency=t.currency),
                )
                for t in totals
            ],
            conversion=_ratio(kpis.conversion(conn, period)),
            cart_abandonment=_ratio(kpis.cart_abandonment(conn, period)),
            click_and_collect_share=_ratio(kpis.click_and_collect(conn, period)),
            ship_from_store_share=_ratio(kpis.ship_from_store(conn, period)),
            return_rate=ReturnRatesRead(
                overall=_ratio(returns["overall"]),
                channels={c: _ratio(r) for c, r in returns["channels"].items()},
                reasons={c: _ratio(r) for c, r in returns["reasons"].items()},
            ),
            ropo_share=_ratio(kpis.ropo(conn, period)),
            customers=kpis.new_vs_returning(conn, period),
            cohorts=kpis.cohorts(conn, period),
            inventory=inventory.inventory(conn, period),
        )
    return board
