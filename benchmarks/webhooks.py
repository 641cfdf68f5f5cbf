"""webhooks: fan-out of 10,000 events to 5 local receivers (one failing half the time), and
the order flow's throughput with and without webhooks, measured in the same run.

    .venv/bin/python benchmarks/webhooks.py [--backend sqlite|postgresql] [--events 10000]
        [--objects 2000] [--flows 40] [--repeats 3]

Fan-out (in-process: the outbox dispatcher and one delivery worker, as `souk worker` runs
them): `--events` committed events over `--objects` orders (so per-object ordering is in
play), five endpoints on real loopback HTTP receivers, one answering 500 to half its
requests. Retries follow a short schedule (0.2 s, 0.5 s, 1 s, 2 s, 5 s, 10 s…) instead of
the spec's minutes and hours, so that the run ends. Reports deliveries/s (successful
deliveries over the time until the last success), that time, retries, and duplicates per
event (successful requests beyond the first per endpoint and webhook-id; target 0).
Order flow: two `souk serve` (one worker each) on scratch databases, one with the same five
endpoints subscribed to every event, one without; `--flows` cart → line → address →
checkout flows, four at a time, against each → orders/s and the ratio (target ≥ 0.9).
Prints one JSON line per repeat and a summary line.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from tests.support.receivers import Received, Receiver, Reply

from benchmarks.checkout_support import ADDRESS, Admin
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run, run_pool
from benchmarks.stats import emit, summarise
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.outbox import Dispatcher, EventBus
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from souk.webhooks import endpoints
from souk.webhooks import handlers as webhooks_handlers
from souk.webhooks.schemas import WebhookEndpointCreate
from souk.webhooks.worker import DeliveryWorker

PAY = {"payment": {"provider": "test", "token": "tok_ok"}}
# Long enough that a delivery to the flaky receiver almost never runs out of attempts
# (0.5^25): one dead-lettered delivery would leave the run waiting for a success never due.
SCHEDULE = [0.2, 0.5, 1.0, 2.0, *[3.0] * 20]
ENDPOINTS = 5


class Tally:
    """Successful deliveries per (receiver, webhook-id), and failed requests."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.ok: Counter[tuple[int, str]] = Counter()
        self.failed = 0
        self.last_success = 0.0
        self.last_success_of: dict[int, float] = {}

    def script(self, index: int, flaky: bool) -> Any:
        rng = random.Random(index)

        def reply(n: int, got: Received) -> Reply:
            if flaky and rng.random() < 0.5:
                with self.lock:
                    self.failed += 1
                return Reply(status=500)
            with self.lock:
                self.ok[(index, got.headers["webhook-id"])] += 1
                self.last_success = time.perf_counter()
                self.last_success_of[index] = self.last_success
                self.lock.notify_all()
            return Reply()

        return reply

    def wait_unique(self, n: int, timeout_s: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: len(self.ok) >= n, timeout_s)


def receivers(tally: Tally) -> list[Receiver]:
    started = []
    for i in range(ENDPOINTS):
        receiver = Receiver(tally.script(i, flaky=(i == 0)))
        receiver.start()
        started.append(receiver)
    return started


def count_where(url: str, table: str, condition: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(
            conn.execute(text(f"SELECT count(*) FROM {table} WHERE {condition}")).scalar_one()
        )
    engine.dispose()
    return count


def fan_out(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    tally = Tally()
    listening = receivers(tally)
    try:
        with scratch_database(backend) as url:
            settings = Settings(
                database_url=url,
                webhook_allow_private=True,
                webhook_retry_schedule_s=SCHEDULE,
                webhook_concurrency=16,
                webhook_batch_size=200,
                webhook_timeout_s=5.0,
            )
            db = Database(settings)
            migrate(db)
            for receiver in listening:
                endpoints.create_endpoint(
                    uow=UnitOfWork(db),
                    data=WebhookEndpointCreate(url=receiver.url, events=["*"]),
                    allow_private=True,
                )
            for start in range(0, args.events, 500):
                with UnitOfWork(db) as uow:
                    for n in range(start, min(start + 500, args.events)):
                        order = f"ord_{n % args.objects:06d}"
                        uow.emit("fulfillment_order.ready", {"order_id": order, "n": n})
                    uow.commit()
            bus = EventBus()
            webhooks_handlers.subscribe(bus, db)
            dispatcher = Dispatcher(db, bus, batch_size=500)
            worker = DeliveryWorker(db, settings, poll_s=0.1)
            began = time.perf_counter()
            dispatcher.start()
            dispatcher.wake()
            worker.start()
            expected = args.events * ENDPOINTS
            finished = tally.wait_unique(expected, timeout_s=args.timeout)
            dead = count_where(url, "webhook_deliveries", "status = 'failed'")
            worker.stop()
            dispatcher.stop()
            db.dispose()
    finally:
        for receiver in listening:
            receiver.stop()
    elapsed = tally.last_success - began
    duplicates = sum(count - 1 for count in tally.ok.values())
    # The four healthy endpoints: throughput without the flaky one's retry schedule.
    healthy_s = max(tally.last_success_of.get(i, began) for i in range(1, ENDPOINTS)) - began
    return {
        "finished": finished,
        "deliveries": len(tally.ok),
        "deliveries_per_s": round(len(tally.ok) / elapsed, 1),
        "time_to_last_success_s": round(elapsed, 2),
        "healthy_deliveries_per_s": round((ENDPOINTS - 1) * args.events / healthy_s, 1),
        "failed_attempts": tally.failed,
        "dead_lettered": dead,
        "duplicates_per_event": round(duplicates / args.events, 4),
    }


def order_flow(backend: str, args: argparse.Namespace, with_webhooks: bool) -> float:
    tally = Tally()
    listening = receivers(tally) if with_webhooks else []
    env = {"SOUK_WEBHOOK_ALLOW_PRIVATE": "1"}
    try:
        with scratch_database(backend) as url, serve(url, 1, env=env) as server:
            admin = Admin(server.base)
            keys = admin.shop({"SKU-1": 10_000_000}, price=3000)
            for receiver in listening:
                admin("POST", "/v1/webhook-endpoints", {"url": receiver.url, "events": ["*"]}, 201)
            key = {"X-Publishable-Key": keys["web"]}

            async def flows() -> None:
                async def one(connection: Connection, n: int) -> None:
                    body = {"email": f"s{n}@example.jp"}
                    cart = (await connection.request("POST", "/v1/carts", body, key)).json()["id"]
                    line = {"sku": "SKU-1", "quantity": 1}
                    await connection.request("POST", f"/v1/carts/{cart}/lines", line, key)
                    patch = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
                    await connection.request("PATCH", f"/v1/carts/{cart}", patch, key)
                    placed = await connection.request(
                        "POST", f"/v1/carts/{cart}/checkout", PAY, key
                    )
                    if placed.status != 201:
                        raise RuntimeError(f"checkout {placed.status}: {placed.body[:300]!r}")

                await run_pool(range(args.flows), one, base_url=server.base, concurrency=4)

            began = time.perf_counter()
            run(flows())
            elapsed = time.perf_counter() - began
            assert count_rows(url, "orders") == args.flows
            if with_webhooks:
                assert count_rows(url, "webhook_endpoints") == ENDPOINTS
    finally:
        for receiver in listening:
            receiver.stop()
    return args.flows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=2_000)
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    runs = []
    for repeat in range(args.repeats):
        record: dict[str, Any] = {"benchmark": "webhooks", "backend": args.backend}
        record["repeat"] = repeat
        record["fan_out"] = fan_out(args.backend, args)
        # Alternated so that a machine getting busier does not favour one side.
        order = (False, True) if repeat % 2 == 0 else (True, False)
        rates = {w: order_flow(args.backend, args, with_webhooks=w) for w in order}
        record["orders_per_s_without"] = round(rates[False], 2)
        record["orders_per_s_with"] = round(rates[True], 2)
        record["with_over_without"] = round(rates[True] / rates[False], 3)
        emit(record)
        runs.append(record)
    emit(
        {
            "benchmark": "webhooks",
            "backend": args.backend,
            "summary": True,
            "events": args.events,
            "endpoints": ENDPOINTS,
            "deliveries_per_s": summarise([r["fan_out"]["deliveries_per_s"] for r in runs]),
            "healthy_deliveries_per_s": summarise(
                [r["fan_out"]["healthy_deliveries_per_s"] for r in runs]
            ),
            "time_to_last_success_s": summarise(
                [r["fan_out"]["time_to_last_success_s"] for r in runs]
            ),
            "duplicates_per_event": summarise([r["fan_out"]["duplicates_per_event"] for r in runs]),
            "with_over_without": summarise([r["with_over_without"] for r in runs]),
        }
    )


if __name__ == "__main__":
    main()
