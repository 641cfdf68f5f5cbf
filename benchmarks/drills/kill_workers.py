"""kill_workers: `kill -9` of API worker processes during a flash drop on PostgreSQL.

    .venv/bin/python benchmarks/drills/kill_workers.py [--buyers 1500] [--units 100]
        [--concurrency 64] [--kills 3] [--kill-every 1.0]

One `souk serve --workers 2` on a scratch PostgreSQL database (uvicorn restarts a dead
worker). `--buyers` carts on three channels hold one unit each of a SKU with `--units` in
stock; then all check out, `--concurrency` at a time, each with an `Idempotency-Key`, while
a killer sends SIGKILL to one worker process every `--kill-every` seconds, `--kills` times.
A client whose connection dropped (or that got a 5xx) retries with the same key, as a real
client would, and reports what it finally learnt.

Checks, from the database: every order a client got a 201 for exists; no more orders than
units; reserved + allocated ≤ on hand and on hand = Σ movements; and after the checkout hold
(60 s) plus two sweeps, no reservation is still active past its expiry. Prints one JSON line;
exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, text

from benchmarks import procstats
from benchmarks.checkout_support import ADDRESS, CHANNELS, Admin
from benchmarks.harness import scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool

SKU = "DROP-1"
HOLD_S = 60  # souk.carts.models.CHECKOUT_HOLD_S
SWEEP_S = 2
RETRIES = 20


def worker_pids(root: int) -> list[int]:
    """uvicorn's worker processes: the children started by multiprocessing's spawn."""
    found = []
    for pid in procstats.tree([root]) - {root}:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.append(pid)
    return sorted(found)


class Killer(threading.Thread):
    def __init__(self, root: int, kills: int, every_s: float) -> None:
        super().__init__(daemon=True)
        self.root, self.kills, self.every_s = root, kills, every_s
        self.killed: list[int] = []
        self.start_event = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        self.start_event.wait()
        while len(self.killed) < self.kills and not self.stop.wait(self.every_s):
            pids = worker_pids(self.root)
            if not pids:
                continue
            victim = pids[len(self.killed) % len(pids)]
            try:
                os.kill(victim, signal.SIGKILL)
                self.killed.append(victim)
            except ProcessLookupError:
                continue


def check_database(url: str, acknowledged: set[str], units: int) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            orders = {row[0] for row in conn.execute(text("SELECT id FROM orders"))}
            stock = conn.execute(
                text(
                    "SELECT s.on_hand, s.reserved, s.allocated,"
                    " (SELECT coalesce(sum(m.quantity), 0) FROM stock_movements m"
                    "  WHERE m.stock_id = s.id)"
                    " FROM stock_levels s JOIN variants v ON v.id = s.variant_id"
                    " WHERE v.sku = :sku"
                ),
                {"sku": SKU},
            ).one()
            stale = conn.execute(
                text(
                    "SELECT count(*) FROM reservations WHERE status = 'active'"
                    " AND expires_at < :cutoff"
                ),
                {"cutoff": _utc_ago(3 * SWEEP_S)},
            ).scalar_one()
    finally:
        engine.dispose()
    on_hand, reserved, allocated, ledger = stock
    return {
        "orders_in_database": len(orders),
        "acknowledged_orders": len(acknowledged),
        "acknowledged_all_exist": acknowledged <= orders,
        "placed_but_not_acknowledged": len(orders - acknowledged),
        "not_oversold": len(orders) <= units and reserved + allocated <= on_hand,
        "on_hand_equals_ledger": on_hand == ledger,
        "stock": {"on_hand": on_hand, "reserved": reserved, "allocated": allocated},
        "active_reservations_past_expiry": stale,
    }


def carts_with_orders(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT cart_id FROM orders"))}
    finally:
        engine.dispose()


def _utc_ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=1500)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=1.0)
    args = parser.parse_args()
    env = {"SOUK_RESERVATION_SWEEP_INTERVAL_S": str(SWEEP_S)}
    result: dict[str, Any] = {"drill": "kill_workers", "backend": "postgresql", "workers": 2}
    result.update(buyers=args.buyers, units=args.units, concurrency=args.concurrency)
    with scratch_database("postgresql") as url, serve(url, 2, env=env) as server:
        base = server.base
        keys = Admin(base).shop({SKU: args.units})

        async def make_cart(connection: Connection, i: int) -> tuple[str, str]:
            channel = CHANNELS[i % len(CHANNELS)]
            key = {"X-Publishable-Key": keys[channel]}
            body = {"email": f"buyer{i}@example.jp", "shipping_address": ADDRESS}
            cart_id = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
            await connection.request(
                "POST", f"/v1/carts/{cart_id}/lines", {"sku": SKU, "quantity": 1}, key
            )
            return cart_id, channel

        carts = run(run_pool(range(args.buyers), make_cart, base_url=base, concurrency=16))
        killer = Killer(server.pid, args.kills, args.kill_every)
        killer.start()
        payment = {"payment": {"provider": "test", "token": "tok_ok"}}

        async def buy(
            connection: Connection, job: tuple[str, str]
        ) -> tuple[int, str | None, int, str | None]:
            cart_id, channel = job
            headers = {"X-Publishable-Key": keys[channel], "Idempotency-Key": f"buy-{cart_id}"}
            for attempt in range(RETRIES):
                try:
                    reply = await connection.request(
                        "POST", f"/v1/carts/{cart_id}/checkout", payment, headers
                    )
                except (ConnectionError, OSError, asyncio.IncompleteReadError):
                    await connection.close()
                    await asyncio.sleep(0.5)  # a client's back-off before its retry
                    continue
                # 409 idempotency-key-in-use means "the first attempt is still running": a
                # client asks again later, as it would after a 5xx.
                if reply.status >= 500 or (reply.status == 409 and b"key-in-use" in reply.body):
                    await asyncio.sleep(0.5)
                    continue
                body = reply.json()
                order = body.get("id") if reply.status == 201 else None
                return reply.status, order, attempt, body.get("type")
            return 0, None, RETRIES, None

        started = time.monotonic()
        killer.start_event.set()
        outcomes = run(run_pool(carts, buy, base_url=base, concurrency=args.concurrency))
        result["drop_s"] = round(time.monotonic() - started, 2)
        killer.stop.set()
        killer.join(timeout=10)
        result["workers_killed"] = len(killer.killed)
        result["workers_alive_after"] = len(worker_pids(server.pid))
        # Long enough for every hold of a killed checkout to expire and be swept.
        time.sleep(HOLD_S + 3 * SWEEP_S)
        acknowledged = {order for status, order, _, _ in outcomes if status == 201 and order}
        result["final_statuses"] = {
            str(k): v for k, v in sorted(Counter(s for s, _, _, _ in outcomes).items())
        }
        result["retried"] = sum(1 for _, _, attempts, _ in outcomes if attempts)
        result.update(check_database(url, acknowledged, args.units))
        # What the clients whose order was placed, but who never got its 201, were told last.
        placed_carts = carts_with_orders(url)
        result["unacknowledged_final_answers"] = dict(
            Counter(
                f"{status} {problem}"
                for (cart_id, _), (status, _, _, problem) in zip(carts, outcomes, strict=True)
                if cart_id in placed_carts and status != 201
            )
        )
    result["ok"] = bool(
        result["acknowledged_all_exist"]
        and result["not_oversold"]
        and result["on_hand_equals_ledger"]
        and result["active_reservations_past_expiry"] == 0
        and result["workers_killed"] == args.kills
    )
    result["run_id"] = secrets.token_hex(3)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
