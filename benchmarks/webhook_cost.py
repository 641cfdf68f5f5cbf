"""webhook_cost: the CPU seconds and SQL statements one webhook delivery costs the process
that enqueues and sends it — counted, so the figures hold on a loaded machine.

    .venv/bin/python benchmarks/webhook_cost.py [--backend sqlite|postgresql] [--orders 400]
        [--regime trickle,backlog]

Five endpoints subscribed to `*` on loopback receivers in a process of their own (their
work is not counted), every one answering 200. Each order raises the three events an order
placement does (order.placed, fulfillment_order.created, order.routed), so 15 deliveries
per order, as in benchmarks/webhooks.py's order flow. Two regimes:

- `trickle`: one order's events are committed, dispatched, and delivered until none is due,
  order after order — what `souk worker` does while orders arrive one by one.
- `backlog`: every order's events are committed first, then dispatched, then delivered in
  full batches — the fan-out's regime.

For each: enqueue (the outbox dispatch of the events, webhooks' handler included) and
delivery (the worker's claim, send and record rounds), each as CPU seconds of this process
(`time.process_time`: every thread, the sending threads included; on PostgreSQL the
server's own CPU is not in it — the statement counts stand for it) per delivery, and
statements per delivery. Run it with `PYTHONPATH=OTHER/src` to measure another build (a
`git archive` of main) in the same minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.statements import counting

from benchmarks.harness import count_rows, scratch_database
from benchmarks.stats import emit
from benchmarks.webhooks import receivers_apart
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.outbox import Dispatcher, EventBus
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from souk.webhooks import endpoints
from souk.webhooks import handlers as webhooks_handlers
from souk.webhooks.schemas import WebhookEndpointCreate
from souk.webhooks.worker import DeliveryWorker

ORDER_EVENTS = ("order.placed", "fulfillment_order.created", "order.routed")


class Meter:
    """CPU seconds and statements, summed over the calls measured."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.cpu_s = 0.0
        self.statements = 0
        self.transactions = 0

    def __call__(self, work: Callable[[], int]) -> int:
        with counting(self.engine) as count:
            began = time.process_time()
            done = work()
            self.cpu_s += time.process_time() - began
        self.statements += len(count)
        self.transactions += count.transactions
        return done

    def per(self, n: int) -> dict[str, float]:
        return {
            "cpu_ms": round(1000 * self.cpu_s / n, 3),
            "statements": round(self.statements / n, 3),
            "transactions": round(self.transactions / n, 3),
        }


def _emit_order(db: Database, n: int) -> None:
    with UnitOfWork(db) as uow:
        for name in ORDER_EVENTS:
            uow.emit(name, {"order_id": f"ord_{n:06d}", "number": str(1000 + n)})
        uow.commit()


def _drain(dispatcher: Dispatcher) -> int:
    looked = 0
    while (n := dispatcher.dispatch_pending()) > 0:
        looked += n
    return looked


def _deliver(worker: DeliveryWorker) -> int:
    sent = 0
    while (n := worker.run_once()) > 0:
        sent += n
    return sent


def measure(backend: str, regime: str, args: argparse.Namespace) -> dict[str, Any]:
    with receivers_apart(flaky=False) as urls, scratch_database(backend) as url:
        settings = Settings(database_url=url, webhook_allow_private=True)
        db = Database(settings)
        migrate(db)
        for receiver_url in urls:
            endpoints.create_endpoint(
                uow=UnitOfWork(db),
                data=WebhookEndpointCreate(url=receiver_url, events=["*"]),
                allow_private=True,
            )
        bus = EventBus()
        webhooks_handlers.subscribe(bus, db)
        dispatcher = Dispatcher(db, bus)
        worker = DeliveryWorker(db, settings)
        enqueue, deliver = Meter(db), Meter(db)
        sent = 0
        try:
            if regime == "backlog":
                for n in range(args.orders):
                    _emit_order(db, n)
                enqueue(lambda: _drain(dispatcher))
                sent = deliver(lambda: _deliver(worker))
            else:
                for n in range(args.orders):
                    _emit_order(db, n)
                    enqueue(lambda: _drain(dispatcher))
                    sent += deliver(lambda: _deliver(worker))
        finally:
            worker.stop()
            db.dispose()
        expected = args.orders * len(ORDER_EVENTS) * len(urls)
        assert sent == expected, f"{sent} of {expected} deliveries sent"
        assert count_rows(url, "webhook_attempts") == expected
    return {
        "benchmark": "webhook_cost",
        "backend": backend,
        "regime": regime,
        "orders": args.orders,
        "deliveries": sent,
        "enqueue_per_delivery": enqueue.per(sent),
        "delivery_per_delivery": deliver.per(sent),
        "cpu_ms_per_order": round(1000 * (enqueue.cpu_s + deliver.cpu_s) / args.orders, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--regime", default="trickle,backlog")
    args = parser.parse_args()
    for regime in args.regime.split(","):
        if regime not in ("trickle", "backlog"):
            parser.error("--regime: trickle, backlog or both")
        emit(measure(args.backend, regime, args))


if __name__ == "__main__":
    main()
