"""flash_drop: a limited drop — 100 units of one SKU — opens on three channels (web, app,
social) and 5,000 buyers press "buy" at once, over real HTTP against `souk serve`.

    .venv/bin/python benchmarks/flash_drop.py [--backends sqlite,postgresql] [--workers 1,2]
        [--buyers 5000] [--units 100] [--concurrency 100] [--repeats 3] [--phases drop,flow]

For each back end and worker count, each repeat gets a scratch database and a fresh server.
Set-up goes through the admin API. Two drops of `--units` units each, one after the other on
the same server, each raced by `--buyers` buyers:

- "drop" (checkout only): every buyer creates a cart on their channel and adds the item
  (phase "carts", not timed); then all of them check out, `--concurrency` requests in flight
  at any moment on keep-alive connections: orders placed (must be exactly `--units`),
  oversold (must be 0: allocated + reserved ≤ on hand, and orders in the database = units),
  checkout attempts per second, p50/p99 checkout latency (all attempts, and apart for the
  orders placed and the sold-out refusals), and the time until the last unit was sold.
- "flow" (what a buyer lives through): every buyer runs the whole flow — create a cart, add
  the item, set the address and delivery, check out — `--concurrency` buyers at a time, all
  of it timed: whole-flow buyers per second, p50/p99 of a buyer's whole flow, p99 of its
  checkout request, orders placed and oversold as above.

Baselines measured in the same run: pgbench's conditional update on one hot row (1 and
8 clients) and a minimal FastAPI endpoint's requests/s on one uvicorn worker, driven by the
same load generator. Prints one JSON line per repeat and a summary per configuration
(median, min, max).
"""

from __future__ import annotations

import argparse
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
    minimal_endpoint_rps,
    pgbench_hot_row_tps,
)
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool
from benchmarks.stats import emit, percentile, summarise

SKU = "DROP-1"
FLOW_SKU = "DROP-2"
PAYMENT = {"payment": {"provider": "test", "token": "tok_ok"}}


def one_drop(backend: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    phases = set(args.phases.split(","))
    with scratch_database(backend) as url, serve(url, workers, souk=args.souk) as server:
        base = server.base
        admin = Admin(base)
        keys = admin.shop({SKU: args.units})
        admin.product(FLOW_SKU, args.units)
        buyers = [(i, CHANNELS[i % len(CHANNELS)]) for i in range(args.buyers)]
        result: dict[str, Any] = {}
        if "drop" in phases:
            result.update(_checkout_only(base, keys, buyers, args))
        if "flow" in phases:
            result.update(_whole_flow(base, keys, buyers, args))
        stocks = {sku: admin.stock(sku) for sku in (SKU, FLOW_SKU)}
        in_database = count_rows(url, "orders")
    expected = args.units * len(phases & {"drop", "flow"})
    return {
        "benchmark": "flash_drop",
        "backend": backend,
        "workers": workers,
        "buyers": args.buyers,
        "units": args.units,
        "concurrency": args.concurrency,
        **result,
        "orders_in_database": in_database,
        "oversold": sum(
            max(0, stock["allocated"] + stock["reserved"] - stock["on_hand"])
            for stock in stocks.values()
        )
        + max(0, in_database - expected),
        "stock_after": stocks,
    }


def _checkout_only(
    base: str, keys: dict[str, str], buyers: list[tuple[int, str]], args: argparse.Namespace
) -> dict[str, Any]:
    async def make_cart(connection: Connection, buyer: tuple[int, str]) -> tuple[str, str]:
        i, channel = buyer
        key = {"X-Publishable-Key": keys[channel]}
        body = {"email": f"buyer{i}@example.jp", "shipping_address": ADDRESS}
        cart = await connection.request("POST", "/v1/carts", body, key)
        cart_id = cart.json()["id"]
        added = await connection.request(
            "POST", f"/v1/carts/{cart_id}/lines", {"sku": SKU, "quantity": 1}, key
        )
        if added.status != 201:
            raise RuntimeError(f"add to cart: {added.status} {added.body!r}")
        return cart_id, channel

    started = time.perf_counter()
    carts = run(run_pool(buyers, make_cart, base_url=base, concurrency=args.concurrency))
    carts_seconds = time.perf_counter() - started
    drop_started = time.perf_counter()

    async def buy(connection: Connection, job: tuple[str, str]) -> tuple[int, float, float]:
        cart_id, channel = job
        reply = await connection.request(
            "POST", f"/v1/carts/{cart_id}/checkout", PAYMENT, {"X-Publishable-Key": keys[channel]}
        )
        return reply.status, reply.seconds, time.perf_counter() - drop_started

    results = run(run_pool(carts, buy, base_url=base, concurrency=args.concurrency))
    drop_seconds = time.perf_counter() - drop_started
    statuses = Counter(status for status, _, _ in results)
    latencies_ms = [seconds * 1000 for _, seconds, _ in results]
    order_ms = [seconds * 1000 for status, seconds, _ in results if status == 201]
    refusal_ms = [seconds * 1000 for status, seconds, _ in results if status == 409]
    sold = [done for status, _, done in results if status == 201]
    return {
        "orders_placed": statuses[201],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "checkout_attempts_per_s": round(len(results) / drop_seconds, 1),
        "checkout_p50_ms": round(percentile(latencies_ms, 50), 1),
        "checkout_p99_ms": round(percentile(latencies_ms, 99), 1),
        # The two populations apart: the 201s race for the stock, the 409s mostly come after.
        "order_p50_ms": round(percentile(order_ms, 50), 1),
        "order_p99_ms": round(percentile(order_ms, 99), 1),
        "refusal_p50_ms": round(percentile(refusal_ms, 50), 1),
        "refusal_p99_ms": round(percentile(refusal_ms, 99), 1),
        "sold_out_after_s": round(max(sold), 3) if sold else None,
        "drop_seconds": round(drop_seconds, 2),
        "carts_phase_requests_per_s": round(2 * len(buyers) / carts_seconds, 1),
    }


def _whole_flow(
    base: str, keys: dict[str, str], buyers: list[tuple[int, str]], args: argparse.Namespace
) -> dict[str, Any]:
    started = time.perf_counter()

    async def buyer(connection: Connection, job: tuple[int, str]) -> tuple[int, float, float]:
        i, channel = job
        key = {"X-Publishable-Key": keys[channel]}
        began = time.perf_counter()
        body = {"email": f"flow{i}@example.jp"}
        cart_id = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
        line = {"sku": FLOW_SKU, "quantity": 1}
        await connection.request("POST", f"/v1/carts/{cart_id}/lines", line, key)
        where = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
        await connection.request("PATCH", f"/v1/carts/{cart_id}", where, key)
        reply = await connection.request("POST", f"/v1/carts/{cart_id}/checkout", PAYMENT, key)
        return reply.status, reply.seconds, time.perf_counter() - began

    results = run(run_pool(buyers, buyer, base_url=base, concurrency=args.concurrency))
    seconds = time.perf_counter() - started
    statuses = Counter(status for status, _, _ in results)
    flow_ms = [flow * 1000 for _, _, flow in results]
    checkout_ms = [one * 1000 for _, one, _ in results]
    return {
        "flow_orders_placed": statuses[201],
        "flow_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "flow_buyers_per_s": round(len(results) / seconds, 1),
        "flow_p50_ms": round(percentile(flow_ms, 50), 1),
        "flow_p99_ms": round(percentile(flow_ms, 99), 1),
        "flow_checkout_p99_ms": round(percentile(checkout_ms, 99), 1),
        "flow_seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--buyers", type=int, default=5000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--phases", default="drop,flow", help="drop (checkout only), flow")
    parser.add_argument(
        "--souk",
        type=Path,
        default=None,
        help="another build's `souk` (the recorded commit's, in its own worktree), to run "
        "the same drops against it in the same window",
    )
    args = parser.parse_args()

    if not args.skip_baselines:
        emit(
            {
                "benchmark": "flash_drop.baselines",
                "pgbench_hot_row_update_tps_1_client": pgbench_hot_row_tps(1),
                "pgbench_hot_row_update_tps_8_clients": pgbench_hot_row_tps(8),
                "minimal_fastapi_rps_1_worker": round(minimal_endpoint_rps(args.concurrency), 1),
                "concurrency": args.concurrency,
            }
        )
    for backend in args.backends.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = []
            for repeat in range(args.repeats):
                result = one_drop(backend, workers, args)
                emit({**result, "repeat": repeat + 1})
                runs.append(result)
            emit(
                {
                    "benchmark": "flash_drop.summary",
                    "backend": backend,
                    "workers": workers,
                    "buyers": args.buyers,
                    "units": args.units,
                    "concurrency": args.concurrency,
                    "orders_placed": [r.get("orders_placed") for r in runs],
                    "flow_orders_placed": [r.get("flow_orders_placed") for r in runs],
                    "oversold": [r["oversold"] for r in runs],
                    **{
                        figure: summarise([r[figure] for r in runs])
                        for figure in (
                            "checkout_attempts_per_s",
                            "checkout_p50_ms",
                            "checkout_p99_ms",
                            "order_p99_ms",
                            "refusal_p99_ms",
                            "sold_out_after_s",
                            "carts_phase_requests_per_s",
                            "flow_buyers_per_s",
                            "flow_p50_ms",
                            "flow_p99_ms",
                            "flow_checkout_p99_ms",
                        )
                        if figure in runs[0] and runs[0][figure] is not None
                    },
                }
            )


if __name__ == "__main__":
    main()
