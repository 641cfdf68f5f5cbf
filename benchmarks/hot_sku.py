"""hot_sku: many buyers racing for the last units of one SKU, over real HTTP.

    .venv/bin/python benchmarks/hot_sku.py [--backend sqlite,postgresql] [--workers 1,2]
        [--units 1000] [--clients 64] [--repeats 3] [--modes guarded,naive] [--no-pgbench]

For each back end (a scratch database of its own) and each number of uvicorn workers, a
server is started in a subprocess; each repeat creates a fresh SKU with `--units` units at
one warehouse, then `--clients` keep-alive connections POST /v1/inventory/reservations for
one unit each, back to back, until each is told 409 out-of-stock. The outcome is then read
from the database, not from the HTTP answers: units sold (held reservation lines), oversold
(sold beyond on hand).

Modes: `guarded` is Souk's endpoint (conditional UPDATE); `naive` is a read-then-write
reservation kept in benchmarks/naive_app.py, run in the same way to show that the race is
real (it oversells) and what the guarantee costs. On PostgreSQL, pgbench runs a one-statement
conditional UPDATE on one hot row with the same number of clients: the database's ceiling.

Prints one JSON line per run and a summary line per configuration (median and spread).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import (
    ADMIN_KEY,
    Server,
    admin_client,
    eur_web_channel,
    expect_ok,
    pgbench_hot_row,
    scratch_database,
    serve,
)
from benchmarks.loadgen import hammer, http_request
from benchmarks.stats import emit, percentile, summarise
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.settings import Settings

NAIVE_APP = "benchmarks.naive_app:create"
HOT_ROW_SERVER = {"SOUK_AUTO_MIGRATE": "0"}  # migrated once, before the servers start
PATHS = {"guarded": "/v1/inventory/reservations", "naive": "/bench/naive-reservations"}


def seed_shop(base: str) -> None:
    with admin_client(base) as admin:
        if admin.get("/v1/locations/wh-1").status_code == 404:
            body = {"code": "wh-1", "name": "Hot warehouse", "type": "warehouse"}
            expect_ok(admin.post("/v1/locations", json={**body, "address": {"country": "FR"}}))
            expect_ok(admin.post("/v1/channels", json=eur_web_channel(["wh-1"])))


def seed_sku(base: str, units: int) -> str:
    tag = secrets.token_hex(4)
    sku = f"HOT-{tag}"
    with admin_client(base) as admin:
        product = {"handle": f"hot-{tag}", "title": {"en": "Hot"}, "variants": [{"sku": sku}]}
        expect_ok(admin.post("/v1/products", json=product))
        receipt = {"sku": sku, "location": "wh-1", "type": "receipt", "quantity": units}
        expect_ok(admin.post("/v1/inventory/movements", json=receipt))
    return sku


def outcome(url: str, sku: str) -> dict[str, int]:
    """What the database says happened: units sold (held reservation lines) and oversold."""
    engine = create_engine(url)
    with engine.connect() as conn:
        on_hand, reserved, sold, reservations = conn.execute(
            text(
                "SELECT s.on_hand, s.reserved,"
                " (SELECT coalesce(sum(l.quantity), 0) FROM reservation_lines l"
                "   WHERE l.stock_id = s.id AND l.status = 'held'),"
                " (SELECT count(*) FROM reservation_lines l WHERE l.stock_id = s.id)"
                " FROM stock_levels s JOIN variants v ON v.id = s.variant_id WHERE v.sku = :sku"
            ),
            {"sku": sku},
        ).one()
    engine.dispose()
    return {
        "on_hand": on_hand,
        "reserved_column": reserved,
        "sold": int(sold),
        "reservations": int(reservations),
        "oversold": max(0, int(sold) - on_hand),
    }


def one_run(server: Server, url: str, mode: str, units: int, clients: int) -> dict[str, Any]:
    sku = seed_sku(server.base, units)
    body = {"channel": "web", "lines": [{"sku": sku, "quantity": 1}], "expires_in_s": 900}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    request = http_request("POST", PATHS[mode], json.dumps(body).encode(), headers)
    # The naive endpoint loses updates, so it keeps selling long after the stock is gone:
    # each of its clients stops at 2 × units / clients attempts.
    cap = None if mode == "guarded" else max(1, 2 * units // clients)
    samples, _ = hammer(server.port, [request], clients=clients, stop_on=409, count=cap)
    won = [s for s in samples if s.status == 201]
    errors = [s.status for s in samples if s.status not in (201, 409)]
    last_win = max((s.done_at for s in won), default=0.0)
    latencies = [s.latency_s * 1000 for s in won]
    return {
        "reservations_per_s": round(len(won) / last_win, 1) if last_win else 0.0,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "http_201": len(won),
        "http_409": sum(1 for s in samples if s.status == 409),
        "http_errors": len(errors),
        **outcome(url, sku),
    }


def pgbench(url: str, clients: int, seconds: int) -> dict[str, Any]:
    """The database's own ceiling: one conditional UPDATE on one hot row per transaction."""
    ceiling = pgbench_hot_row(url, clients, seconds)
    if ceiling is None:
        raise RuntimeError("pgbench is not installed (Debian: postgresql-client); or --no-pgbench")
    return {
        "reservations_per_s": ceiling["per_s"],
        "p50_ms": ceiling["p50_ms"],
        "p99_ms": ceiling["p99_ms"],
    }


def summary(context: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    record = {"benchmark": "hot_sku", "summary": True, **context, "runs": len(runs)}
    for figure in ("reservations_per_s", "p50_ms", "p99_ms"):
        record[figure] = summarise([run[figure] for run in runs])
    for figure in ("sold", "oversold"):
        if figure in runs[0]:
            record[figure] = [run[figure] for run in runs]
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--modes", default="guarded,naive")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pgbench-seconds", type=int, default=8)
    parser.add_argument("--no-pgbench", action="store_true")
    args = parser.parse_args()
    for backend in args.backend.split(","):
        with scratch_database(backend) as url:
            db = Database(Settings(database_url=url))
            migrate(db)
            db.dispose()
            for workers in [int(w) for w in args.workers.split(",")]:
                for mode in args.modes.split(","):
                    app = NAIVE_APP if mode == "naive" else None
                    context = {"backend": backend, "workers": workers, "mode": mode}
                    context |= {"units": args.units, "clients": args.clients}
                    with serve(url, workers, app=app, env=HOT_ROW_SERVER) as server:
                        seed_shop(server.base)
                        one_run(server, url, mode, 200, args.clients)  # warm-up, not kept
                        runs = []
                        for repeat in range(1, args.repeats + 1):
                            run = one_run(server, url, mode, args.units, args.clients)
                            runs.append(run)
                            emit({"benchmark": "hot_sku", **context, "repeat": repeat, **run})
                    emit(summary(context, runs))
            if backend == "postgresql" and not args.no_pgbench:
                context = {"backend": backend, "mode": "pgbench", "clients": args.clients}
                runs = []
                for repeat in range(1, args.repeats + 1):
                    run = pgbench(url, args.clients, args.pgbench_seconds)
                    runs.append(run)
                    emit({"benchmark": "hot_sku", **context, "repeat": repeat, **run})
                emit(summary(context, runs))


if __name__ == "__main__":
    main()
