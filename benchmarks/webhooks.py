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
checkout flows, four at a time, against each → orders/s and the ratio (target ≥ 0.9). The
receivers of the order flow run in a process of their own, so their work is not charged to
the load generator. In each of two topologies (`--topologies`): `one-process`, the API
server also dispatching and delivering (the default `souk serve`), and `worker`, the API
server with SOUK_DISPATCHER_ENABLED=0 beside a `souk worker` that dispatches and delivers,
at a lower scheduling priority (`--worker-nice`, 10; docs/deployment.md) — both sides of a
comparison in the same topology.
Prints one JSON line per repeat and a summary line.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from tests.support.receivers import Received, Receiver, Reply

from benchmarks.checkout_support import Admin, buy
from benchmarks.cpu import server_cpu_s
from benchmarks.harness import SOUK, count_rows, scratch_database, serve
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


def receivers(tally: Tally, *, flaky: bool = True) -> list[Receiver]:
    """Five receivers; with `flaky`, the first answers 500 to half its requests."""
    started = []
    for i in range(ENDPOINTS):
        receiver = Receiver(tally.script(i, flaky=flaky and i == 0))
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


def _receive(urls: Any, stop: Any, flaky: bool) -> None:
    """The five endpoints of the order flow, in a process of their own until `stop`."""
    started = receivers(Tally(), flaky=flaky)
    urls.put([receiver.url for receiver in started])
    stop.wait()
    for receiver in started:
        receiver.stop()


@contextmanager
def receivers_apart(*, flaky: bool = True) -> Iterator[list[str]]:
    context = multiprocessing.get_context("spawn")
    urls, stop = context.Queue(), context.Event()
    process = context.Process(target=_receive, args=(urls, stop, flaky), daemon=True)
    process.start()
    try:
        yield urls.get(timeout=60)
    finally:
        stop.set()
        process.join(timeout=30)


@contextmanager
def souk_worker(url: str, env: dict[str, str], nice: int) -> Iterator[int]:
    """`souk worker` on `url` (the outbox dispatcher and the webhook deliveries), at the
    scheduling priority `nice` (as `nice -n` or systemd's `Nice=` set it); yields its pid
    (`nice` execs the command, so the same process)."""
    environment = {**os.environ, "SOUK_DATABASE_URL": url, "SOUK_LOG_LEVEL": "WARNING", **env}
    command = ["nice", "-n", str(nice), str(SOUK), "worker"] if nice else [str(SOUK), "worker"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drained(url: str, timeout_s: float) -> float:
    """Seconds until the worker went quiet after the last flow: every event dispatched and no
    new attempt for 1.5 s (the flaky endpoint's retries, and what waits behind them in its
    objects' order, follow the spec's schedule, minutes away). The CPU of the whole work per
    order is only known then. Polled: the benchmark waits on another process's database,
    not on anything it could be told by."""
    began = time.perf_counter()
    attempts, quiet = -1, 0
    while time.perf_counter() - began < timeout_s:
        undispatched = count_where(url, "outbox_events", "dispatched_at IS NULL")
        now = count_rows(url, "webhook_attempts")
        quiet = quiet + 1 if now == attempts and undispatched == 0 else 0
        if quiet == 3:
            return time.perf_counter() - began
        attempts = now
        time.sleep(0.5)
    raise TimeoutError(f"webhook deliveries still going after {timeout_s} s")


def order_flow(
    backend: str, args: argparse.Namespace, with_webhooks: bool, topology: str
) -> dict[str, float]:
    """Orders/s over the flows, and the CPU per order of the API server and of the worker
    (from /proc: a count, unlike the rate, little moved by other work on the machine) up to
    the moment the worker went quiet."""
    env = {"SOUK_WEBHOOK_ALLOW_PRIVATE": "1"}
    apart = topology == "worker"
    if apart:
        env["SOUK_DISPATCHER_ENABLED"] = "0"
    with (
        receivers_apart() as urls,
        scratch_database(backend) as url,
        serve(url, 1, env=env) as server,
        souk_worker(url, {**env, "SOUK_DISPATCHER_ENABLED": "1"}, args.worker_nice)
        if apart
        else nullcontext(0) as worker_pid,
    ):
        admin = Admin(server.base)
        keys = admin.shop({"SKU-1": 10_000_000}, price=3000)
        if with_webhooks:
            for receiver_url in urls:
                admin("POST", "/v1/webhook-endpoints", {"url": receiver_url, "events": ["*"]}, 201)
        key = {"X-Publishable-Key": keys["web"]}

        async def flows() -> None:
            async def one(connection: Connection, n: int) -> None:
                await buy(connection, n, key, ["SKU-1"])

            await run_pool(range(args.flows), one, base_url=server.base, concurrency=4)

        def cpu_now() -> dict[str, float]:
            # No worker (one process): 0, not /proc's pid 0, whose children are every process.
            worker = server_cpu_s(worker_pid) if worker_pid else 0.0
            return {"api": server_cpu_s(server.pid), "worker": worker}

        cpu = cpu_now()
        began = time.perf_counter()
        run(flows())
        elapsed = time.perf_counter() - began
        assert count_rows(url, "orders") == args.flows
        drain_s = drained(url, args.timeout) if with_webhooks else 0.0
        if with_webhooks:
            assert count_rows(url, "webhook_endpoints") == ENDPOINTS
        used = cpu_now()
    return {
        "orders_per_s": args.flows / elapsed,
        "api_cpu_ms_per_order": 1000 * (used["api"] - cpu["api"]) / args.flows,
        "worker_cpu_ms_per_order": 1000 * (used["worker"] - cpu["worker"]) / args.flows,
        "drain_s": drain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=2_000)
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--topologies", default="one-process,worker", help="one-process, worker or both"
    )
    parser.add_argument("--no-fan-out", action="store_true", help="the order flow only")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="the worker topology's `nice -n` (docs/deployment.md: deliveries yield to the API)",
    )
    args = parser.parse_args()
    topologies = [t for t in args.topologies.split(",") if t]
    if not set(topologies) <= {"one-process", "worker"}:
        parser.error("--topologies: one-process, worker or both, comma-separated")
    runs = []
    for repeat in range(args.repeats):
        record: dict[str, Any] = {"benchmark": "webhooks", "backend": args.backend}
        record["worker_nice"] = args.worker_nice
        record["repeat"] = repeat
        if not args.no_fan_out:
            record["fan_out"] = fan_out(args.backend, args)
        for topology in topologies:
            # Alternated so that a machine getting busier does not favour one side.
            order = (False, True) if repeat % 2 == 0 else (True, False)
            flows = {w: order_flow(args.backend, args, w, topology) for w in order}
            without, with_ = flows[False], flows[True]
            record[topology] = {
                "orders_per_s_without": round(without["orders_per_s"], 2),
                "orders_per_s_with": round(with_["orders_per_s"], 2),
                "with_over_without": round(with_["orders_per_s"] / without["orders_per_s"], 3),
                # CPU per order, without → with webhooks, and the wait after the last flow
                # until the worker went quiet.
                "api_cpu_ms_per_order": [
                    round(without["api_cpu_ms_per_order"], 1),
                    round(with_["api_cpu_ms_per_order"], 1),
                ],
                "worker_cpu_ms_per_order": [
                    round(without["worker_cpu_ms_per_order"], 1),
                    round(with_["worker_cpu_ms_per_order"], 1),
                ],
                "drain_s": round(with_["drain_s"], 2),
            }
        emit(record)
        runs.append(record)
    summary: dict[str, Any] = {
        "benchmark": "webhooks",
        "backend": args.backend,
        "summary": True,
        "events": args.events,
        "endpoints": ENDPOINTS,
    }
    if not args.no_fan_out:
        for figure in (
            "deliveries_per_s",
            "healthy_deliveries_per_s",
            "time_to_last_success_s",
            "duplicates_per_event",
        ):
            summary[figure] = summarise([r["fan_out"][figure] for r in runs])
    for topology in topologies:
        summary[f"{topology}_with_over_without"] = summarise(
            [r[topology]["with_over_without"] for r in runs]
        )
    emit(summary)


if __name__ == "__main__":
    main()
