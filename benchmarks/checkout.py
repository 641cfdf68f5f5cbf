"""checkout: the whole cart → order path at a steady concurrency, with stock to spare.

    .venv/bin/python benchmarks/checkout.py [--backends sqlite,postgresql] [--workers 2]
        [--clients 16] [--orders 1500] [--skus 200] [--repeats 3]
        [--baseline-souk OTHER/.venv/bin/souk] [--no-statements]

For each back end, each repeat gets a scratch database and a fresh `souk serve`. `--clients`
shoppers (keep-alive connections, spread over the web, app and social channels) each loop:
create a cart with their email, add three different SKUs drawn from a catalog of `--skus`
(each with stock to spare), set the address and delivery, check out — until `--orders`
orders are placed. With `--skus 3` every order takes the same three stock rows: the hot-row
case.
Reports orders per second, p50/p99 of the checkout request and of the whole six-request
flow, the server's CPU per flow from /proc (all its processes, the dispatcher's routing
included) beside a fixed pure-Python reference loop timed in the same run
(`cpu_per_flow_in_reference_loops` stays comparable when the machine's speed drifts), and
the SQL statements per flow counted in-process (benchmarks/statements.py). Checks that every
checkout succeeded and that the database holds exactly that many orders.
`--baseline-souk` runs every repeat a second time against another build (the recorded
commit's `souk`, installed in its own worktree), so that the two are compared in one run.
Prints one JSON line per repeat and a summary per configuration (median, min, max).
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
from benchmarks.cpu import reference_loop_ms, server_cpu_s
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool
from benchmarks.statements import statements_per_flow
from benchmarks.stats import emit, percentile, summarise

LINES = 3


FIGURES = (
    "orders_per_s",
    "checkout_p50_ms",
    "checkout_p99_ms",
    "flow_p50_ms",
    "flow_p99_ms",
    "server_cpu_ms_per_flow",
    "reference_loop_ms",
    "cpu_per_flow_in_reference_loops",
)


def one_run(
    backend: str, workers: int, args: argparse.Namespace, souk: Path | None = None
) -> dict[str, Any]:
    with scratch_database(backend) as url, serve(url, workers, souk=souk) as server:
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
                body = {"email": f"s{n}@example.jp"}
                cart_id = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
                for sku in random.Random(n).sample(skus, LINES):
                    line = {"sku": sku, "quantity": 1 + n % 2}
                    await connection.request("POST", f"/v1/carts/{cart_id}/lines", line, key)
                where = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
                await connection.request("PATCH", f"/v1/carts/{cart_id}", where, key)
                reply = await connection.request(
                    "POST", f"/v1/carts/{cart_id}/checkout", payment, key
                )
                done.append((reply.status, reply.seconds, time.perf_counter() - started))
            return done

        reference_before = reference_loop_ms()
        cpu_before = server_cpu_s(server.pid)
        started = time.perf_counter()
        per_client = run(
            run_pool(range(args.clients), shopper, base_url=base, concurrency=args.clients)
        )
        seconds = time.perf_counter() - started
        in_database = count_rows(url, "orders")
        # Routing runs in the dispatcher after the answer: let it finish before reading CPU.
        routed = _wait_routed(url, in_database)
        cpu_ms = (server_cpu_s(server.pid) - cpu_before) * 1000
        reference = (reference_before + reference_loop_ms()) / 2
    results = [r for client in per_client for r in client]
    statuses = Counter(status for status, _, _ in results)
    checkout_ms = [s * 1000 for _, s, _ in results]
    flow_ms = [s * 1000 for _, _, s in results]
    per_flow = cpu_ms / max(1, len(results))
    return {
        "benchmark": "checkout",
        "build": str(souk) if souk else "this worktree",
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
        "orders_routed": routed,
        "server_cpu_ms_per_flow": round(per_flow, 2),
        "reference_loop_ms": round(reference, 2),
        "cpu_per_flow_in_reference_loops": round(per_flow / reference, 3),
        "seconds": round(seconds, 2),
    }


def _wait_routed(url: str, orders: int, timeout_s: float = 120) -> int:
    """Orders with a routing decision, once every order has one (or after the timeout)."""
    deadline = time.perf_counter() + timeout_s
    while True:
        routed = count_rows(url, "order_routings")
        if routed >= orders or time.perf_counter() > deadline:
            return routed
        time.sleep(0.2)


def summary(runs: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
    return {
        "benchmark": "checkout.summary",
        **context,
        "skus": runs[0]["skus"],
        "orders": [r["orders"] for r in runs],
        **{figure: summarise([r[figure] for r in runs]) for figure in FIGURES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-souk", type=Path, default=None)
    parser.add_argument("--no-statements", action="store_true")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if not args.no_statements:
            emit(
                {
                    "benchmark": "checkout.statements",
                    "backend": backend,
                    **statements_per_flow(backend),
                }
            )
        for workers in (int(w) for w in args.workers.split(",")):
            builds: list[Path | None] = [None] + (
                [args.baseline_souk] if args.baseline_souk else []
            )
            runs: dict[Path | None, list[dict[str, Any]]] = {b: [] for b in builds}
            for repeat in range(args.repeats):
                for build in builds:  # interleaved, so that both see the same machine
                    result = one_run(backend, workers, args, build)
                    emit({**result, "repeat": repeat + 1})
                    runs[build].append(result)
            context = {"backend": backend, "workers": workers, "clients": args.clients}
            for build, done in runs.items():
                emit(summary(done, build=str(build) if build else "this worktree", **context))
            if args.baseline_souk:
                ours, theirs = runs[None], runs[args.baseline_souk]
                emit(
                    {
                        "benchmark": "checkout.comparison",
                        **context,
                        "orders_per_s_ratio": _ratio(ours, theirs, "orders_per_s"),
                        "cpu_per_flow_ratio": _ratio(ours, theirs, "server_cpu_ms_per_flow"),
                    }
                )


def _ratio(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], figure: str) -> float:
    mine = summarise([r[figure] for r in ours])["median"]
    base = summarise([r[figure] for r in theirs])["median"]
    return round(mine / base, 3) if base else float("nan")


if __name__ == "__main__":
    main()
