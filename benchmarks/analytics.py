"""Analytics benchmark: dashboard queries over ≥ 1M generated order lines, on the DuckDB
store against the same query as SQL on the primary database (the baseline).

    .venv/bin/python benchmarks/analytics.py [--backend sqlite|postgresql|both]
        [--lines 1000000] [--repeats 5]

PostgreSQL: a scratch database on SOUK_TEST_POSTGRES_URL's server (benchmarks/harness.py).

For each back end: a fresh database is migrated and filled in bulk (orders of 1–7 lines on
four channels in three currencies over a year, 2,000 SKUs in 12 categories), the store is
built by a full refresh, then each query runs `--repeats` times on DuckDB and on the
primary, alternating, so that both see the same machine load. An incremental refresh after
1,000 more orders is timed too. Prints one JSON line per back end and query (median, min,
max seconds; the ratio primary / DuckDB of the medians) and one with the load timings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.analytics_data import generate, insert_catalog, insert_orders

from benchmarks.harness import scratch_database
from benchmarks.stats import emit, summarise
from souk.analytics.refresh import refresh
from souk.analytics.service import kpi_board, sales_report
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.settings import Settings

START, END = date(2025, 1, 1), date(2025, 12, 31)
LIVE = "o.status <> 'cancelled' AND o.placed_at >= :lower AND o.placed_at < :upper"


def _grain(dialect: str, grain: str) -> str:
    if dialect == "postgresql":
        return f"date_trunc('{grain}', o.placed_at AT TIME ZONE 'UTC')"
    return {
        "day": "strftime('%Y-%m-%d', o.placed_at)",
        "week": "date(o.placed_at, 'weekday 0', '-6 days')",
        "month": "strftime('%Y-%m-01', o.placed_at)",
    }[grain]


def _baseline_sql(dialect: str, grain: str, dimension: str) -> str:
    """What the dashboard would run on the primary without the store."""
    period = _grain(dialect, grain)
    if dimension == "category":
        return f"""
            SELECT {period} AS p, c.code, o.currency, count(DISTINCT o.id), sum(l.total),
                   sum(l.quantity)
            FROM orders o JOIN order_lines l ON l.order_id = o.id
            LEFT JOIN variants v ON v.sku = l.sku LEFT JOIN products pr ON pr.id = v.product_id
            LEFT JOIN categories c ON c.id = pr.category_id
            WHERE {LIVE} GROUP BY 1, 2, 3"""
    column = {"channel": "o.channel", "country": "o.shipping_address"}[dimension]
    return f"""
        SELECT {period} AS p, {column}, o.currency, count(*), sum(o.total), sum(u.units)
        FROM orders o JOIN (SELECT order_id, sum(quantity) AS units FROM order_lines
                            GROUP BY order_id) u ON u.order_id = o.id
        WHERE {LIVE} GROUP BY 1, 2, 3"""


QUERIES = [("day", "channel"), ("week", "country"), ("month", "category")]


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(backend: str, *, lines: int, repeats: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="souk-analytics-") as tmp,
        scratch_database(backend) as url,
    ):
        settings = Settings(database_url=url, analytics_path=str(Path(tmp) / "store.duckdb"))
        db = Database(settings)
        try:
            migrate(db)
            orders = generate(lines=lines, start=datetime(2025, 1, 1, tzinfo=UTC))
            insert_catalog(db)
            load_s = _timed(lambda: insert_orders(db, orders))
            full_s = _timed(lambda: refresh(db=db, full=True))
            more = generate(lines=4000, seed=8, start=datetime(2025, 6, 1, tzinfo=UTC))
            for n, o in enumerate(more):
                # Placed in the period, written now: what a refresh finds after the first.
                o.id, o.number = f"ord_more{n:08d}", 10_000_000 + n
                o.updated_at = datetime.now(UTC)
            insert_orders(db, more)
            incremental = refresh(db=db)
            incremental_s = incremental.seconds
            emit({
                "benchmark": "analytics", "backend": backend, "what": "load",
                "order_lines": lines + sum(len(o.lines) for o in more), "orders": len(orders),
                "bulk_insert_s": round(load_s, 2), "full_refresh_s": round(full_s, 2),
                "incremental_refresh_s": round(incremental_s, 2), "added_orders": len(more),
                "incremental_copied_orders": incremental.rows["orders"],
            })  # fmt: skip
            _queries(db, settings, repeats)
        finally:
            db.dispose()


def _queries(db: Database, settings: Settings, repeats: int) -> None:
    bounds = {
        "lower": datetime(2025, 1, 1, tzinfo=UTC),
        "upper": datetime(2026, 1, 1, tzinfo=UTC),
    }
    dialect = db.engine.dialect.name
    for grain, dimension in QUERIES:
        by = f"{grain},{dimension}"
        duck, primary = [], []
        sql = text(_baseline_sql(dialect, grain, dimension))
        for _ in range(repeats):
            duck.append(
                _timed(lambda by=by: sales_report(settings=settings, start=START, end=END, by=by))
            )
            with db.engine.connect() as conn:
                primary.append(_timed(lambda c=conn, q=sql: c.execute(q, bounds).fetchall()))
        rows = len(sales_report(settings=settings, start=START, end=END, by=by).rows)
        _report(f"sales by={by}", rows, duck, primary)
    board = [
        _timed(lambda: kpi_board(settings=settings, start=START, end=END)) for _ in range(repeats)
    ]
    _report("kpis (whole board)", None, board, None)


def _report(query: str, rows: int | None, duck: list[float], primary: list[float] | None) -> None:
    record: dict[str, Any] = {
        "benchmark": "analytics", "query": query, "rows": rows,
        "duckdb_s": {k: round(v, 4) for k, v in summarise(duck).items()},
    }  # fmt: skip
    if primary:
        record["primary_sql_s"] = {k: round(v, 4) for k, v in summarise(primary).items()}
        record["primary_over_duckdb"] = round(
            summarise(primary)["median"] / summarise(duck)["median"], 2
        )
    emit(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, lines=args.lines, repeats=args.repeats)


if __name__ == "__main__":
    main()
