"""soak: the mixed load (benchmarks/mixed_load.py) at a steady, low rate for a long time on
PostgreSQL, with the servers' memory and the latency recorded every minute: no leak, no drift.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 3] [--workers 2]

The one-hour soak of the issue is `--minutes 60`. One `souk serve --workers N` on a scratch
PostgreSQL database. Visits start at `--rate` per second whatever the server's speed (an
open loop: a slow server builds a backlog instead of slowing the load down). Every minute a
JSON line: requests, p50/p99, errors (5xx or no answer), visits still running, and the
resident memory (RSS) of every server process. At the end a summary: RSS growth from the
second minute to the last (the first warms caches and pools), p99 of the first full minute
against the last, and the database's invariants (reserved + allocated ≤ on hand for every
stock row, on hand = Σ movements, no active reservation long past its expiry).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from benchmarks import procstats
from benchmarks.harness import scratch_database, serve
from benchmarks.loadgen import Connection, run
from benchmarks.mixed_load import Recorder, errors, set_up, summarise, visit

SWEEP_S = 10
HOLD_S = 60
# Below uvicorn's keep-alive timeout (5 s): a pooled connection idle longer is not reused.
IDLE_S = 4.0
# A fresh PostgreSQL database is migrated at start; on the shared 2-core machine under load
# that took more than the harness's 180 s twice (the soak then never began).
STARTUP_S = 600.0


def invariants(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            over = conn.execute(
                text("SELECT count(*) FROM stock_levels WHERE reserved + allocated > on_hand")
            ).scalar_one()
            drift = conn.execute(
                text(
                    "SELECT count(*) FROM stock_levels s WHERE s.on_hand <>"
                    " (SELECT coalesce(sum(m.quantity), 0) FROM stock_movements m"
                    "  WHERE m.stock_id = s.id)"
                )
            ).scalar_one()
            stale = conn.execute(
                text(
                    "SELECT count(*) FROM reservations WHERE status = 'active'"
                    " AND expires_at < :cutoff"
                ),
                {"cutoff": datetime.now(UTC) - timedelta(seconds=3 * SWEEP_S)},
            ).scalar_one()
            orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    finally:
        engine.dispose()
    return {
        "stock_rows_oversold": over,
        "stock_rows_off_ledger": drift,
        "active_reservations_past_expiry": stale,
        "orders_in_database": orders,
    }


def soak(args: argparse.Namespace) -> dict[str, Any]:
    env = {"SOUK_RESERVATION_SWEEP_INTERVAL_S": str(SWEEP_S)}
    with (
        scratch_database("postgresql") as url,
        serve(url, args.workers, env=env, ready_timeout_s=STARTUP_S) as server,
    ):
        shop = set_up(server.base, args.products)
        recorder = Recorder()
        minutes: list[dict[str, Any]] = []
        running = 0

        async def take(pool: asyncio.Queue[tuple[Connection, float]]) -> Connection:
            # uvicorn closes a keep-alive connection idle for 5 s; a client that sends on one
            # it closed gets a reset (the first soak counted 876 such "errors" after a burst
            # had grown the pool). HTTP clients drop idle connections first, and so do we.
            while not pool.empty():
                connection, idle_since = pool.get_nowait()
                if time.monotonic() - idle_since < IDLE_S:
                    return connection
                await connection.close()
            return Connection(server.base)

        async def one_visit(seed: int, pool: asyncio.Queue[tuple[Connection, float]]) -> None:
            nonlocal running
            running += 1
            connection = await take(pool)
            try:
                await visit(connection, shop, seed, recorder)
            finally:
                pool.put_nowait((connection, time.monotonic()))
                running -= 1

        def record_minute(index: int, since: int) -> int:
            samples = recorder.samples[since:]
            figures = summarise(samples, 60.0)["all"]
            rss = procstats.rss_bytes([server.pid])
            line = {
                "minute": index,
                "requests": figures["requests"],
                "p50_ms": figures["p50_ms"],
                "p99_ms": figures["p99_ms"],
                "errors": errors(samples),
                "visits_running": running,
                "rss_mb": {str(pid): round(b / 2**20, 1) for pid, b in rss.items()},
                "rss_total_mb": round(sum(rss.values()) / 2**20, 1),
                "load_average": procstats.load_average(),
            }
            minutes.append(line)
            print(json.dumps(line), flush=True)
            return len(recorder.samples)

        async def main() -> None:
            pool: asyncio.Queue[tuple[Connection, float]] = asyncio.Queue()
            tasks: set[asyncio.Task[None]] = set()
            started = time.monotonic()
            end = started + args.minutes * 60
            next_minute, index, since, seed = started + 60, 1, 0, 0
            interval = 1.0 / args.rate
            next_visit = started
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_visit:
                    seed += 1
                    task = asyncio.ensure_future(one_visit(seed, pool))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    next_visit += interval
                if now >= next_minute:
                    since = record_minute(index, since)
                    index += 1
                    next_minute += 60
                await asyncio.sleep(max(0.0, min(next_visit, next_minute) - time.monotonic()))
            await asyncio.gather(*tasks)
            if len(recorder.samples) > since:
                record_minute(index, since)  # the last minute, ending with the run
            while not pool.empty():
                await pool.get_nowait()[0].close()

        run(main())
        # Let the last checkouts' holds expire and be swept before the invariants are read.
        if args.check_holds:
            time.sleep(HOLD_S + 2 * SWEEP_S)
        checks = invariants(url)
    steady = minutes[1:] or minutes
    first_rss, last_rss = steady[0]["rss_total_mb"], steady[-1]["rss_total_mb"]
    return {
        "benchmark": "soak",
        "backend": "postgresql",
        "workers": args.workers,
        "minutes": args.minutes,
        "visits_per_s": args.rate,
        "requests": len(recorder.samples),
        "errors": errors(recorder.samples),
        "rss_total_mb_minute_2": first_rss,
        "rss_total_mb_last": last_rss,
        "rss_growth_mb": round(last_rss - first_rss, 1),
        "p99_ms_minute_2": steady[0]["p99_ms"],
        "p99_ms_last": steady[-1]["p99_ms"],
        "by_kind": {
            kind: {k: figures[k] for k in ("requests", "p50_ms", "p99_ms", "statuses")}
            for kind, figures in summarise(recorder.samples, args.minutes * 60)["kinds"].items()
        },
        **checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10, help="60 for the one-hour soak")
    parser.add_argument("--rate", type=float, default=3.0, help="visits started per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument(
        "--no-check-holds",
        dest="check_holds",
        action="store_false",
        help="skip the wait for the last holds to expire before the invariants",
    )
    args = parser.parse_args()
    print(json.dumps(soak(args)), flush=True)


if __name__ == "__main__":
    main()
