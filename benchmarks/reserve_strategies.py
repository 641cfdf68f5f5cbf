"""reserve_strategies: which database guarantee is fastest for "take one unit of a hot row"?

    .venv/bin/python benchmarks/reserve_strategies.py [--backend sqlite,postgresql]
        [--threads 16] [--units 2000] [--repeats 3]

The same job three ways, each a transaction that takes one unit of one hot stock row and
writes a reservation line, from `--threads` threads until `--units` are gone:

- `conditional`: one `UPDATE … SET reserved = reserved + 1 WHERE id = :id AND on_hand -
  reserved - allocated - safety_stock >= 1` (what Souk does);
- `row_lock`: `SELECT … FOR UPDATE`, check in Python, then `UPDATE` (on SQLite: the same read
  and write inside BEGIN IMMEDIATE, which locks the whole database);
- `serializable` (PostgreSQL): read, check, write under SERIALIZABLE isolation, retrying on
  serialization failures.

No HTTP and no ORM: the database's own cost. Every run checks that exactly `--units` units
were taken. Prints one JSON line per run and a summary per strategy.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import scratch_database
from benchmarks.stats import emit, percentile, summarise

SETUP = [
    "DROP TABLE IF EXISTS bench_lines",
    "DROP TABLE IF EXISTS bench_stock",
    "CREATE TABLE bench_stock (id INTEGER PRIMARY KEY, on_hand INTEGER NOT NULL,"
    " reserved INTEGER NOT NULL, allocated INTEGER NOT NULL, safety_stock INTEGER NOT NULL)",
    "CREATE TABLE bench_lines (stock_id INTEGER NOT NULL, quantity INTEGER NOT NULL)",
]
CONDITIONAL = text(
    "UPDATE bench_stock SET reserved = reserved + 1 WHERE id = 1"
    " AND on_hand - reserved - allocated - safety_stock >= 1"
)
READ = "SELECT on_hand - reserved - allocated - safety_stock FROM bench_stock WHERE id = 1"
WRITE = text("UPDATE bench_stock SET reserved = reserved + 1 WHERE id = 1")
LINE = text("INSERT INTO bench_lines VALUES (1, 1)")


def engine_for(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=32, max_overflow=0)
    engine = create_engine(url, connect_args={"timeout": 30}, pool_size=32, max_overflow=0)

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None
        dbapi.execute("PRAGMA journal_mode=WAL")
        dbapi.execute("PRAGMA synchronous=NORMAL")
        dbapi.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def take_one(conn: Connection, strategy: str, sqlite: bool) -> tuple[bool, int]:
    """One attempt in its own transaction: (took a unit, retries)."""
    retries = 0
    while True:
        try:
            with conn.begin():
                if strategy == "conditional":
                    if conn.execute(CONDITIONAL).rowcount == 0:
                        return False, retries
                else:
                    if strategy == "serializable":
                        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                    read = READ if sqlite or strategy == "serializable" else READ + " FOR UPDATE"
                    if conn.exec_driver_sql(read).scalar_one() < 1:
                        return False, retries
                    conn.execute(WRITE)
                conn.execute(LINE)
            return True, retries
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in ("40001", "40P01"):
                raise
            retries += 1


def run(url: str, strategy: str, threads: int, units: int) -> dict[str, Any]:
    engine = engine_for(url)
    sqlite = url.startswith("sqlite")
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(f"INSERT INTO bench_stock VALUES (1, {units}, 0, 0, 0)")
    start = threading.Barrier(threads)
    latencies: list[float] = []
    retries = [0]
    lock = threading.Lock()

    def worker(_: int) -> int:
        taken = 0
        with engine.connect() as conn:
            start.wait()
            while True:
                began = time.perf_counter()
                ok, tries = take_one(conn, strategy, sqlite)
                with lock:  # the benchmark's own tally
                    latencies.append((time.perf_counter() - began) * 1000)
                    retries[0] += tries
                if not ok:
                    return taken
                taken += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        taken = sum(pool.map(worker, range(threads)))
    seconds = time.perf_counter() - began
    with engine.connect() as conn:
        reserved = conn.exec_driver_sql("SELECT reserved FROM bench_stock").scalar_one()
        lines = conn.exec_driver_sql("SELECT count(*) FROM bench_lines").scalar_one()
    engine.dispose()
    if not taken == reserved == lines == units:
        raise RuntimeError(f"{strategy}: took {taken}, reserved {reserved}, lines {lines}")
    return {
        "reservations_per_s": round(units / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "retries": retries[0],
        "taken": taken,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for backend in args.backend.split(","):
        strategies = ["conditional", "row_lock"]
        if backend == "postgresql":
            strategies.append("serializable")
        with scratch_database(backend) as url:
            results: dict[str, list[dict[str, Any]]] = {s: [] for s in strategies}
            for repeat in range(1, args.repeats + 1):
                for strategy in strategies:  # interleaved, so that load drifts hit all alike
                    result = run(url, strategy, args.threads, args.units)
                    results[strategy].append(result)
                    context = {"benchmark": "reserve_strategies", "backend": backend}
                    emit({**context, "strategy": strategy, "repeat": repeat, **result})
            for strategy, runs in results.items():
                summary: dict[str, Any] = {
                    "benchmark": "reserve_strategies",
                    "backend": backend,
                    "strategy": strategy,
                    "summary": True,
                    "threads": args.threads,
                    "units": args.units,
                }
                for figure in ("reservations_per_s", "p50_ms", "p99_ms", "retries"):
                    summary[figure] = summarise([r[figure] for r in runs])
                emit(summary)


if __name__ == "__main__":
    main()
