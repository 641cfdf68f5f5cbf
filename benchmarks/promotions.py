"""promotions: what 200 live promotions cost a shopper, measured beside the same shop with
none in one run.

    .venv/bin/python benchmarks/promotions.py [--backends sqlite,postgresql]
        [--promotions 200] [--lines 10] [--reads 400] [--flows 60] [--repeats 3]

For each back end and repeat, two scratch databases and two `souk serve` (one worker each),
up at once: one shop without promotions, one with `--promotions` active ones (mixed:
channel-, category- and code-bound, minimum subtotals, a few that apply to every cart).
Reads and flows alternate between them in batches, so the machine's other work weighs on
both alike. On each:
- cart read: a cart of `--lines` lines read `--reads` times in a row → p50/p99 ms (target
  with promotions: p99 < 20 ms);
- order flow: `--flows` flows of create cart → add `--lines` lines → address → checkout,
  one at a time → the server's CPU per flow from /proc (target: at most 20 % above the
  shop without promotions).
Then the single-use race on PostgreSQL: 200 carts holding one single-use code check out at
once against two workers → exactly one order gets it, and how long the race took.
Prints one JSON line per repeat and a summary line (`--race-only`: the race alone).
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.checkout_support import ADDRESS, PAY, Admin, buy
from benchmarks.cpu import reference_loop_ms, server_cpu_s
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool
from benchmarks.stats import emit, percentile, summarise

# Reads and flows alternate between the two shops in batches of this size.
BATCHES = 8
FLOW_BATCH = 10


def promotion_bodies(count: int) -> list[dict[str, Any]]:
    """A marketer's year of rules: most do not apply to a given cart, a few do."""
    bodies = []
    for i in range(count):
        kind = i % 10
        body: dict[str, Any] = {"name": f"promo {i:03d}", "priority": i % 7}
        if kind == 0:  # applies to everything: a small sitewide percentage
            body["actions"] = [{"type": "percent_off", "target": "lines", "value": "1"}]
        elif kind in (1, 2, 3):  # needs a code nobody entered
            body["coupon_required"] = True
            body["actions"] = [{"type": "percent_off", "target": "order", "value": "15"}]
        elif kind in (4, 5):  # another channel
            body["channels"] = ["social"]
            body["actions"] = [
                {"type": "amount_off", "target": "order", "value": 500, "currency": "JPY"}
            ]
        elif kind == 6:  # a category nobody buys
            body["conditions"] = {"categories": [f"cat-{i}"]}
            body["actions"] = [{"type": "percent_off", "target": "lines", "value": "20"}]
        elif kind == 7:  # a big basket
            body["conditions"] = {"min_subtotal": {"amount": 10_000_000, "currency": "JPY"}}
            body["actions"] = [{"type": "free_shipping", "target": "shipping"}]
        elif kind == 8:  # buy 3 get 1 on some SKUs
            body["conditions"] = {"skus": [f"SKU-{i % 40:04d}"]}
            body["actions"] = [{"type": "buy_x_get_y", "target": "lines", "buy": 3, "get": 1}]
        else:  # exclusive, for tiers nobody has
            body["customer_tiers"] = ["platinum"]
            body["stacking"] = "exclusive"
            body["actions"] = [{"type": "percent_off", "target": "lines", "value": "30"}]
        bodies.append(body)
    return bodies


@dataclass
class Shop:
    """One scratch shop behind its own `souk serve`, with what was measured on it."""

    url: str
    server: Any
    key: dict[str, str]
    cart: str
    lines: list[str]  # the SKUs a cart of the benchmark holds
    reads: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    flows: int = 0


def open_shop(stack: ExitStack, backend: str, promotions: int, args: argparse.Namespace) -> Shop:
    skus = [f"SKU-{i:04d}" for i in range(max(40, args.lines))]
    url = stack.enter_context(scratch_database(backend))
    server = stack.enter_context(serve(url, 1))
    admin = Admin(server.base)
    keys = admin.shop(dict.fromkeys(skus, 10_000_000), price=3000)
    for body in promotion_bodies(promotions):
        admin("POST", "/v1/promotions", body, 201)
    key = {"X-Publishable-Key": keys["web"]}
    with httpx.Client(base_url=server.base, headers=key, timeout=60) as shop:
        cart = shop.post("/v1/carts", json={"email": "a@example.jp"}).json()["id"]
        for sku in skus[: args.lines]:
            shop.post(f"/v1/carts/{cart}/lines", json={"sku": sku, "quantity": 1})
    return Shop(url, server, key, cart, skus[: args.lines])


def read_batch(shop: Shop, reads: int) -> None:
    with httpx.Client(base_url=shop.server.base, headers=shop.key, timeout=60) as client:
        for _ in range(reads):
            started = time.perf_counter()
            client.get(f"/v1/carts/{shop.cart}").raise_for_status()
            shop.reads.append((time.perf_counter() - started) * 1000)


def flow_batch(shop: Shop, first: int, count: int) -> None:
    async def flows() -> None:
        async def one(connection: Connection, n: int) -> None:
            await buy(connection, n, shop.key, shop.lines)

        await run_pool(range(first, first + count), one, base_url=shop.server.base, concurrency=1)

    before = server_cpu_s(shop.server.pid)
    run(flows())
    shop.cpu_s += server_cpu_s(shop.server.pid) - before
    shop.flows += count


def compare(backend: str, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Both shops up at once, measured in alternating batches, so that whatever else the
    machine does in the meantime weighs on both alike (one shop after the other, a busy
    minute on one side moved the ratio by ±20 %)."""
    with ExitStack() as stack:
        shops = {
            "without": open_shop(stack, backend, 0, args),
            "with": open_shop(stack, backend, args.promotions, args),
        }
        for _ in range(BATCHES):
            for shop in shops.values():
                read_batch(shop, max(1, args.reads // BATCHES))
        done = 0
        while done < args.flows:
            count = min(FLOW_BATCH, args.flows - done)
            for shop in shops.values():
                flow_batch(shop, done, count)
            done += count
        for shop in shops.values():
            assert count_rows(shop.url, "orders") == args.flows
        return {
            side: {
                "cart_read_p50_ms": round(percentile(shop.reads, 50), 2),
                "cart_read_p99_ms": round(percentile(shop.reads, 99), 2),
                "server_cpu_ms_per_flow": round(shop.cpu_s * 1000 / shop.flows, 1),
            }
            for side, shop in shops.items()
        }


def race(args: argparse.Namespace) -> dict[str, Any]:
    shoppers = 200
    with scratch_database("postgresql") as url, serve(url, 2) as server:
        admin = Admin(server.base)
        keys = admin.shop({"TEE-1": shoppers}, price=5000)
        promotion = admin(
            "POST",
            "/v1/promotions",
            {"name": "once", "coupon_required": True,
             "actions": [{"type": "percent_off", "target": "order", "value": "50"}]},
            201,
        )["id"]  # fmt: skip
        (code,) = admin("POST", f"/v1/promotions/{promotion}/codes", {"count": 1}, 201)["codes"]
        key = {"X-Publishable-Key": keys["web"]}
        carts = []
        with httpx.Client(base_url=server.base, headers=key, timeout=60) as shop:
            for n in range(shoppers):
                body = {"email": f"r{n}@example.jp", "shipping_address": ADDRESS}
                cart_id = shop.post("/v1/carts", json=body).json()["id"]
                shop.post(f"/v1/carts/{cart_id}/lines", json={"sku": "TEE-1", "quantity": 1})
                shop.patch(f"/v1/carts/{cart_id}", json={"coupon_codes": [code]})
                carts.append(cart_id)
        statuses: list[int] = []

        async def buy(connection: Connection, cart_id: str) -> None:
            reply = await connection.request("POST", f"/v1/carts/{cart_id}/checkout", PAY, key)
            statuses.append(reply.status)

        started = time.perf_counter()
        run(run_pool(carts, buy, base_url=server.base, concurrency=64))
        seconds = time.perf_counter() - started
        used = admin("GET", f"/v1/promotions/{promotion}")["times_used"]
    return {
        "race_orders": statuses.count(201),
        "race_refused": len(statuses) - statuses.count(201),
        "race_times_used": used,
        "race_seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--promotions", type=int, default=200)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-race", action="store_true")
    parser.add_argument("--race-only", action="store_true", help="only the single-use race")
    args = parser.parse_args()
    for backend in [] if args.race_only else args.backends.split(","):
        rows = []
        for repeat in range(args.repeats):
            reference = reference_loop_ms()
            both = compare(backend, args)
            without, with_promotions = both["without"], both["with"]
            row = {
                "benchmark": "promotions",
                "backend": backend,
                "repeat": repeat,
                "promotions": args.promotions,
                "lines": args.lines,
                "reference_loop_ms": round(reference, 1),
                **{f"without_{k}": v for k, v in without.items()},
                **{f"with_{k}": v for k, v in with_promotions.items()},
                "cpu_ratio": round(
                    with_promotions["server_cpu_ms_per_flow"] / without["server_cpu_ms_per_flow"], 3
                ),
            }
            emit(row)
            rows.append(row)
        emit(
            {
                "benchmark": "promotions",
                "backend": backend,
                "summary": {
                    k: summarise([r[k] for r in rows])
                    for k in ("with_cart_read_p99_ms", "without_cart_read_p99_ms", "cpu_ratio")
                },
            }
        )
    if not args.no_race:
        emit({"benchmark": "promotions-race", "backend": "postgresql", **race(args)})


if __name__ == "__main__":
    main()
