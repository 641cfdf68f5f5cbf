"""checkout: the whole cart → order path at a steady concurrency, with stock to spare.

    .venv/bin/python benchmarks/checkout.py [--backends sqlite,postgresql] [--workers 2]
        [--clients 16] [--orders 1500] [--skus 200] [--repeats 3]

For each back end, each repeat gets a scratch database and a fresh `souk serve`. `--clients`
shoppers (keep-alive connections, spread over the web, app and social channels) each loop:
create a cart, add three different SKUs drawn from a catalog of `--skus` (each with stock to
spare), check out — until `--orders` orders are placed. With `--skus 3` every order takes
the same three stock rows: the hot-row case.
Reports orders per second, p50/p99 of the checkout request and of the whole four-request
flow, and checks that every checkout succeeded and that the database holds exactly that many
orders. Prints one JSON line per repeat and a summary per configuration (median, min, max).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.checkout_support import (
    ADDRESS,
    CHANNELS,
    Admin,
)
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool
from benchmarks.stats import emit, percentile, summarise

LINES = 3


def one_run(backend: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    with scratch_database(backend) as url, serve(url, workers) as server:
        base = server.base
        skus = [f"SKU-{i:04d}" for i in range(max(args.skus, LINES))]
        keys = Admin(base).shop(dict.fromkeys(skus, 10_000_000), price=3000)
        payment = {"payment": {"provider": "test", "token": "tok_ok"}}

        async def shopper(connection: Connection, i: int) -> list[tuple[int, float, float]]:
            channel = CHANNELS[i % len(CHANNELS)]
            key = {"X-Publishable-Key": keys[channel]}
            done = []
            for n in range(i, args.orders, args.clients):
                started = time.perf_counter()
                body = {"email": f"s{n}@example.jp", "shipping_address": ADDRESS}
                cart_id = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
                for sku in random.Random(n).sample(skus, LINES):
                    line = {"sku": sku, "quantity": 1 + n % 2}
                    await connection.request("POST", f"/v1/carts/{cart_id}/lines", line, key)
                reply = await connection.request(
                    "POST", f"/v1/carts/{cart_id}/checkout", payment, key
                )
                done.append((reply.status, reply.seconds, time.perf_counter() - started))
            return done

        started = time.perf_counter()
        per_client = run(
            run_pool(range(args.clients), shopper, base_url=base, concurrency=args.clients)
        )
        seconds = time.perf_counter() - started
        in_database = count_rows(url, "orders")
    results = [r for client in per_client for r in client]
    statuses = Counter(status for status, _, _ in results)
    checkout_ms = [s * 1000 for _, s, _ in results]
    flow_ms = [s * 1000 for _, _, s in results]
    return {
        "benchmark": "checkout",
        "backend": backend,
        "workers": workers,
        "clients": args.clients,
        "lines_per_cart": LINES,
        "skus": len(skus),
        "orders": statuses[201],
        "orders_in_database": in_database,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "orders_per_s": round(statuses[201] / seconds, 1),
        "checkout_p50_ms": round(percentile(checkout_ms, 50), 1),
        "checkout_p99_ms": round(percentile(checkout_ms, 99), 1),
        "flow_p50_ms": round(percentile(flow_ms, 50), 1),
        "flow_p99_ms": round(percentile(flow_ms, 99), 1),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = []
            for repeat in range(args.repeats):
                result = one_run(backend, workers, args)
                emit({**result, "repeat": repeat + 1})
                runs.append(result)
            emit(
                {
                    "benchmark": "checkout.summary",
                    "backend": backend,
                    "workers": workers,
                    "clients": args.clients,
                    "skus": runs[0]["skus"],
                    "orders": [r["orders"] for r in runs],
                    **{
                        figure: summarise([r[figure] for r in runs])
                        for figure in (
                            "orders_per_s",
                            "checkout_p50_ms",
                            "checkout_p99_ms",
                            "flow_p50_ms",
                            "flow_p99_ms",
                        )
                    },
                }
            )


if __name__ == "__main__":
    main()
