"""Inventory figures of a period: turnover, stock-outs and days of cover.

There is no cost price in Souk, so turnover counts units: units sold in the period over the
average of the units on hand at its start and at its end, read from the movement ledger
(the balance each movement left). Days of cover is what is available now over the average
units sold per day in the period.
"""

from __future__ import annotations

from typing import Any

import duckdb

from souk.analytics.kpis import LIVE_LINES, bounds
from souk.analytics.models import Period
from souk.analytics.store import first


def _on_hand_at(conn: duckdb.DuckDBPyConnection, at: Any) -> int:
    """Units on hand everywhere at an instant: each stock line's last balance before it."""
    sql = """
        SELECT coalesce(sum(on_hand_after), 0) FROM (
            SELECT arg_max(on_hand_after, id) AS on_hand_after FROM movements
            WHERE created_at < $at GROUP BY sku, location)"""
    row = first(conn.execute(sql, {"at": at}))
    return int(row[0]) if row else 0


def inventory(conn: duckdb.DuckDBPyConnection, period: Period) -> dict[str, Any]:
    sold_row = first(
        conn.execute(
            f"SELECT coalesce(sum(l.quantity), 0) FROM order_lines l WHERE {LIVE_LINES}",
            bounds(period),
        )
    )
    sold = int(sold_row[0]) if sold_row else 0
    start, end = _on_hand_at(conn, period.lower), _on_hand_at(conn, period.upper)
    average = (start + end) / 2
    now = first(
        conn.execute(
            """SELECT coalesce(sum(greatest(on_hand - reserved - allocated, 0)), 0),
                  count(*) FILTER (WHERE on_hand - reserved - allocated <= 0), count(*)
           FROM stock"""
        )
    )
    available, out_now, lines = (int(x) for x in now) if now else (0, 0, 0)
    ran_out = first(
        conn.execute(
            """SELECT count(DISTINCT (sku, location)) FROM movements
           WHERE on_hand_after <= 0 AND created_at >= $lower AND created_at < $upper""",
            bounds(period),
        )
    )
    daily = sold / period.days
    return {
        "units_sold": sold,
        "on_hand_start": start,
        "on_hand_end": end,
        "turnover": round(sold / average, 4) if average > 0 else None,
        "available_now": available,
        "days_of_cover": round(available / daily, 1) if daily > 0 else None,
        "stock_outs_now": out_now,
        "stock_lines": lines,
        "stock_outs_in_period": int(ran_out[0]) if ran_out else 0,
    }
