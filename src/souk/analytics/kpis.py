"""The KPI board of a period: conversion, cart abandonment, fulfilment mix, returns, ROPO.

Every figure is a count or a ratio of counts; money stays per currency in `sales`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import duckdb

from souk.analytics.models import Period, share
from souk.analytics.store import first

# A visit ends after this long without an event (the usual web-analytics convention).
SESSION_GAP = timedelta(minutes=30)
# Online research counts toward a store purchase this long before it (ROPO).
ROPO_WINDOW = timedelta(days=30)
TRACKED = "e.source <> 'souk' AND e.type IN ('page', 'screen', 'track')"
ONLINE_ORDER = "e.event = 'Order Completed' AND coalesce(e.order_source, '') <> 'pos'"
LIVE = "o.status <> 'cancelled' AND o.placed_at >= $lower AND o.placed_at < $upper"
LIVE_LINES = "l.live AND l.placed_at >= $lower AND l.placed_at < $upper"
STORE_SALE = "(o.source = 'pos' OR o.channel_type = 'pos')"


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        return share(self.part, self.whole)


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    row = first(conn.execute(sql, params))
    assert row is not None
    return tuple(row)


def bounds(period: Period) -> dict[str, Any]:
    return {"lower": period.lower, "upper": period.upper}


def conversion(conn: duckdb.DuckDBPyConnection, period: Period) -> Ratio:
    """Sessions with an online order in them (or within a gap after their last event) over
    sessions; a session is a profile's tracked events with no gap over SESSION_GAP."""
    sql = f"""
        WITH e AS (
            SELECT e.profile_id, e.ts,
                   CASE WHEN lag(e.ts) OVER w IS NULL OR e.ts - lag(e.ts) OVER w > $gap
                        THEN 1 ELSE 0 END AS starts
            FROM events e WHERE {TRACKED} AND e.ts >= $lower AND e.ts < $upper
            WINDOW w AS (PARTITION BY e.profile_id ORDER BY e.ts)),
        numbered AS (
            SELECT profile_id, ts,
                   sum(starts) OVER (PARTITION BY profile_id ORDER BY ts
                                     ROWS UNBOUNDED PRECEDING) AS n
            FROM e),
        s AS (SELECT profile_id, n, min(ts) AS first, max(ts) AS last
              FROM numbered GROUP BY profile_id, n),
        bought AS (SELECT e.profile_id, e.ts FROM events e
                   WHERE {ONLINE_ORDER} AND e.ts >= $lower AND e.ts < $upper + $gap)
        SELECT count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM bought b WHERE b.profile_id = s.profile_id
                   AND b.ts >= s.first AND b.ts <= s.last + $gap))
        FROM s"""
    sessions, converted = _one(conn, sql, {**bounds(period), "gap": SESSION_GAP})
    return Ratio(int(converted), int(sessions))


def cart_abandonment(conn: duckdb.DuckDBPyConnection, period: Period) -> Ratio:
    """Carts started in the period with something in them that never became an order
    (carts merged into a customer's cart at sign-in are the same shopping, not counted)."""
    sql = """
        SELECT count(*) FILTER (WHERE status <> 'converted' AND order_id IS NULL), count(*)
        FROM carts
        WHERE status <> 'merged' AND lines > 0 AND created_at >= $lower AND created_at < $upper"""
    abandoned, carts = _one(conn, sql, bounds(period))
    return Ratio(int(abandoned), int(carts))


def click_and_collect(conn: duckdb.DuckDBPyConnection, period: Period) -> Ratio:
    """Orders placed away from a till (web, app, marketplace…) for pickup in a store."""
    sql = f"""
        SELECT count(*) FILTER (WHERE o.fulfillment_type = 'pickup'), count(*)
        FROM orders o WHERE {LIVE} AND NOT {STORE_SALE}"""
    pickup, online = _one(conn, sql, bounds(period))
    return Ratio(int(pickup), int(online))


def ship_from_store(conn: duckdb.DuckDBPyConnection, period: Period) -> Ratio:
    """Shipments (fulfilment orders of type ship, not rejected) sent from a store."""
    sql = f"""
        SELECT count(*) FILTER (WHERE l.type = 'store'), count(*)
        FROM fulfillment_orders f
        JOIN orders o ON o.id = f.order_id
        LEFT JOIN locations l ON l.code = f.location
        WHERE f.type = 'ship' AND f.status <> 'rejected' AND {LIVE}"""
    from_store, shipped = _one(conn, sql, bounds(period))
    return Ratio(int(from_store), int(shipped))


def return_rates(conn: duckdb.DuckDBPyConnection, period: Period) -> dict[str, Any]:
    """Units returned in the period (on the day the return was asked for) over units sold in
    it, per channel; returned units per reason."""
    sold_sql = f"""
        SELECT l.channel, sum(l.quantity) FROM order_lines l WHERE {LIVE_LINES}
        GROUP BY l.channel"""
    sold = {c: int(q) for c, q in conn.execute(sold_sql, bounds(period)).fetchall()}
    returned_sql = """
        SELECT channel, reason, sum(quantity) FROM return_lines
        WHERE created_at >= $lower AND created_at < $upper GROUP BY channel, reason"""
    by_channel: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for channel, reason, quantity in conn.execute(returned_sql, bounds(period)).fetchall():
        by_channel[channel] = by_channel.get(channel, 0) + int(quantity)
        by_reason[reason] = by_reason.get(reason, 0) + int(quantity)
    total_returned = sum(by_channel.values())
    return {
        "overall": Ratio(total_returned, sum(sold.values())),
        "channels": {
            c: Ratio(by_channel.get(c, 0), sold.get(c, 0)) for c in sorted({*sold, *by_channel})
        },
        "reasons": {
            r: Ratio(q, total_returned) for r, q in sorted(by_reason.items(), key=lambda i: -i[1])
        },
    }


def ropo(conn: duckdb.DuckDBPyConnection, period: Period) -> Ratio:
    """Store sales of a known customer who viewed one of the items bought online (a web or
    app channel) in the ROPO window before: research online, purchase offline."""
    sql = f"""
        WITH store AS (
            SELECT o.id, o.placed_at, p.profile_id FROM orders o
            LEFT JOIN profile_orders p ON p.order_id = o.id
            WHERE {LIVE} AND {STORE_SALE}),
        researched AS (
            SELECT DISTINCT s.id FROM store s
            JOIN order_lines l ON l.order_id = s.id
            JOIN events e ON e.profile_id = s.profile_id AND e.sku = l.sku
            JOIN channels c ON c.code = e.source
            WHERE e.event = 'Product Viewed' AND c.type IN ('web', 'app')
              AND e.ts <= s.placed_at AND e.ts >= s.placed_at - $window)
        SELECT (SELECT count(*) FROM researched), count(*) FROM store"""
    hits, store_sales = _one(conn, sql, {**bounds(period), "window": ROPO_WINDOW})
    return Ratio(int(hits), int(store_sales))


def new_vs_returning(conn: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """Known buyers of the period whose first order ever falls in it (new) or before it."""
    sql = """
        WITH firsts AS (
            SELECT customer_key, min(placed_at) AS first FROM orders
            WHERE status <> 'cancelled' AND customer_key IS NOT NULL GROUP BY customer_key),
        buyers AS (
            SELECT DISTINCT customer_key FROM orders
            WHERE status <> 'cancelled' AND customer_key IS NOT NULL
              AND placed_at >= $lower AND placed_at < $upper)
        SELECT count(*) FILTER (WHERE f.first >= $lower), count(*) FILTER (WHERE f.first < $lower)
        FROM buyers b JOIN firsts f USING (customer_key)"""
    new, returning = _one(conn, sql, bounds(period))
    guests_sql = """
        SELECT count(*) FROM orders
        WHERE status <> 'cancelled' AND customer_key IS NULL
          AND placed_at >= $lower AND placed_at < $upper"""
    (anonymous,) = _one(conn, guests_sql, bounds(period))
    return {"new": int(new), "returning": int(returning), "anonymous_orders": int(anonymous)}


def cohorts(conn: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    """Customers by the month of their first order (months of the period), and how many
    of them ordered again in each later month up to the period's end."""
    sql = """
        WITH live AS (
            SELECT customer_key, CAST(date_trunc('month', placed_at) AS DATE) AS month
            FROM orders WHERE status <> 'cancelled' AND customer_key IS NOT NULL
              AND placed_at < $upper),
        firsts AS (SELECT customer_key, min(month) AS cohort FROM live GROUP BY customer_key),
        active AS (SELECT DISTINCT customer_key, month FROM live)
        SELECT f.cohort, date_diff('month', f.cohort, a.month) AS offset_months,
               count(DISTINCT a.customer_key)
        FROM firsts f JOIN active a USING (customer_key)
        WHERE f.cohort >= CAST(date_trunc('month', $lower) AS DATE)
        GROUP BY 1, 2 ORDER BY 1, 2"""
    table: dict[Any, dict[int, int]] = {}
    for cohort, offset, customers in conn.execute(sql, bounds(period)).fetchall():
        table.setdefault(cohort, {})[int(offset)] = int(customers)
    last = period.end.year * 12 + period.end.month
    out = []
    for cohort, counts in table.items():
        size = counts.get(0, 0)
        # Every later month up to the period's end, a month nobody came back included.
        months = range(1, last - (cohort.year * 12 + cohort.month) + 1)
        retained = [
            {
                "months_later": k,
                "customers": counts.get(k, 0),
                "rate": share(counts.get(k, 0), size),
            }
            for k in months
        ]
        out.append({"cohort": cohort.isoformat()[:7], "customers": size, "retained": retained})
    return out
