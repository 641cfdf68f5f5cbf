"""Sales by period and dimension: orders, revenue, average order value, units, refunds.

Revenue is the sum of the totals of the orders placed in the period (cancelled ones left
out), per currency, in minor units; refunds count on the day they were issued, against the
order's channel, country and store. Grouped by category, revenue is the sum of the lines'
totals instead: an order's shipping belongs to no category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from souk.analytics.models import Grouping, Period, aov

DIMENSION_SQL = {"channel": "o.channel", "country": "o.country", "store": "o.store"}
LIVE_ORDERS = "o.status <> 'cancelled'"


@dataclass(frozen=True)
class SalesRow:
    period: str
    dimensions: dict[str, str | None]
    currency: str
    orders: int
    revenue: int
    aov: int
    units: int
    refunded: int | None


def _period_sql(grouping: Grouping, column: str) -> str:
    if grouping.grain is None:
        return "CAST($start AS DATE)"
    return f"CAST(date_trunc('{grouping.grain}', {column}) AS DATE)"


def _dims_sql(grouping: Grouping) -> list[str]:
    return [
        "coalesce(v.category, '')" if d == "category" else DIMENSION_SQL[d]
        for d in grouping.dimensions
    ]


def _orders_query(grouping: Grouping) -> str:
    keys = [_period_sql(grouping, "o.placed_at"), *_dims_sql(grouping), "o.currency"]
    select_keys = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
    group = ", ".join(f"k{i}" for i in range(len(keys)))
    if "category" in grouping.dimensions:
        # Lines carry their order's attributes under the same names (`o` is the line here).
        return f"""
            SELECT {select_keys}, count(DISTINCT o.order_id), sum(o.total), sum(o.quantity)
            FROM order_lines o LEFT JOIN variants v ON v.sku = o.sku
            WHERE o.live AND o.placed_at >= $lower AND o.placed_at < $upper
            GROUP BY {group}"""
    return f"""
        SELECT {select_keys}, count(*), sum(o.total), coalesce(sum(o.units), 0)
        FROM orders o
        WHERE {LIVE_ORDERS} AND o.placed_at >= $lower AND o.placed_at < $upper
        GROUP BY {group}"""


def _refunds_query(grouping: Grouping) -> str:
    keys = [_period_sql(grouping, "r.created_at"), *_dims_sql(grouping), "r.currency"]
    select_keys = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
    group = ", ".join(f"k{i}" for i in range(len(keys)))
    return f"""
        SELECT {select_keys}, sum(r.amount)
        FROM refunds r JOIN orders o ON o.id = r.order_id
        WHERE r.created_at >= $lower AND r.created_at < $upper
        GROUP BY {group}"""


def _params(grouping: Grouping, period: Period) -> dict[str, Any]:
    bounds: dict[str, Any] = {"lower": period.lower, "upper": period.upper}
    return bounds if grouping.grain else {**bounds, "start": period.start}


def sales(conn: duckdb.DuckDBPyConnection, *, period: Period, grouping: Grouping) -> list[SalesRow]:
    width = 2 + len(grouping.dimensions)
    found: dict[tuple[Any, ...], list[int]] = {}
    for row in conn.execute(_orders_query(grouping), _params(grouping, period)).fetchall():
        found[tuple(row[:width])] = [int(row[width]), int(row[width + 1]), int(row[width + 2])]
    refunds: dict[tuple[Any, ...], int] = {}
    if "category" not in grouping.dimensions:
        for row in conn.execute(_refunds_query(grouping), _params(grouping, period)).fetchall():
            refunds[tuple(row[:width])] = int(row[width])
    rows = []
    for key in sorted(set(found) | set(refunds), key=lambda k: tuple(str(x) for x in k)):
        orders, revenue, units = found.get(key, [0, 0, 0])
        dims = {
            d: (None if v == "" else v) for d, v in zip(grouping.dimensions, key[1:-1], strict=True)
        }
        rows.append(
            SalesRow(
                period=key[0].isoformat(),
                dimensions=dims,
                currency=key[-1],
                orders=orders,
                revenue=revenue,
                aov=aov(revenue, orders),
                units=units,
                refunded=None if "category" in grouping.dimensions else refunds.get(key, 0),
            )
        )
    return rows
