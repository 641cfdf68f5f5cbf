"""CDP ingestion benchmark: Segment batches over real HTTP through identity resolution,
trait updates, computed traits and segments, and the lag until a profile reflects an event.

    .venv/bin/python benchmarks/ingest.py [--backend sqlite,postgresql] [--events 20000]
        [--batch 100] [--clients 4] [--probes 50] [--orders 150] [--order-clients 2]
        [--repeats 3] [--baseline-souk OTHER/.venv/bin/souk]

For each back end and repeat: a scratch database, `souk serve` (one worker) on a free port,
a shop (three channels, JPY, stock to spare), an ingest key on its web channel and one
segment (so segment evaluation is part of the cost).
`--clients` threads send gzipped `/v1/batch` requests of `--batch` messages shaped as the
Segment client sends them (an anonymous visitor's page and product views, then an
identify with user id and email every 10 messages). Meanwhile a probe thread sends one
`track` for a fresh visitor and polls `GET /v1/profiles?anonymous_id=` until the profile
shows it: the freshness lag. The order flow (benchmarks/order_flow.py) runs first alone
(`--orders` orders) and then again beside the ingestion: `order_flow_ratio` is its
throughput with ingestion running over its throughput alone, in the same server (the
issue wants it ≥ 0.8). With `--baseline-souk`, every repeat runs a second time against
that build, and `events_per_s_vs_baseline` is the ratio of the medians. Prints one JSON
line per run and a summary per back end and build (median, min, max).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.checkout_support import Admin
from benchmarks.harness import admin_client, expect_ok, scratch_database, serve
from benchmarks.order_flow import order_flow
from benchmarks.stats import emit, percentile, summarise

SKUS = [f"SKU-{i:03d}" for i in range(30)]
FIGURES = ("events_per_s", "freshness_p50_s", "freshness_p99_s", "orders_alone_per_s",
           "orders_with_ingest_per_s", "order_flow_ratio")  # fmt: skip


GZIP_JSON = {"Content-Encoding": "gzip", "Content-Type": "application/json"}


def _batch(client_no: int, start: int, size: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for n in range(start, start + size):
        visitor = f"c{client_no}-v{n // 10}"
        if n % 10 == 9:
            messages.append({"type": "identify", "anonymousId": visitor,
                             "userId": f"user-{visitor}",
                             "traits": {"email": f"{visitor}@example.com"},
                             "messageId": str(uuid.uuid4())})  # fmt: skip
        else:
            messages.append({"type": "track", "anonymousId": visitor, "event": "Product Viewed",
                             "properties": {"sku": f"SKU-{n % 50}", "price": 19.9},
                             "messageId": str(uuid.uuid4())})  # fmt: skip
    return messages


def run(args: argparse.Namespace, backend: str, souk: Path | None) -> dict[str, Any]:
    events, batch, clients, probes = args.events, args.batch, args.clients, args.probes
    with (
        scratch_database(backend) as url,
        serve(url, 1, souk=souk) as server,
        admin_client(server.base) as admin,
    ):
        shop_keys = Admin(server.base, admin).shop(dict.fromkeys(SKUS, 10_000_000), price=3000)
        alone = order_flow(server.base, shop_keys, SKUS, clients=args.order_clients,
                           orders=args.orders)  # fmt: skip
        key = expect_ok(
            admin.post("/v1/api-keys", json={"name": "bench", "role": "ingest", "channel": "web"})
        ).json()["key"]
        rule = {"computed": "orders_count", "op": "gte", "value": 1}
        expect_ok(admin.post("/v1/segments", json={"name": "buyers", "rule": rule}))
        auth = httpx.BasicAuth(key, "")
        per_client = events // clients
        lags: list[float] = []
        done = threading.Event()

        def sender(client_no: int) -> int:
            sent = 0
            with httpx.Client(base_url=server.base, auth=auth, timeout=60) as http:
                for start in range(0, per_client, batch):
                    body = gzip.compress(
                        json.dumps({"batch": _batch(client_no, start, batch)}).encode()
                    )
                    expect_ok(http.post("/v1/batch", content=body, headers=GZIP_JSON))
                    sent += batch
            return sent

        def prober() -> None:
            with httpx.Client(base_url=server.base, timeout=60) as http:
                for i in range(probes):
                    if done.is_set():
                        return
                    visitor = f"probe-{i}"
                    began = time.perf_counter()
                    expect_ok(http.post("/v1/track", auth=auth, json={
                        "anonymousId": visitor, "event": "Probe"}))  # fmt: skip
                    while not admin.get("/v1/profiles", params={"anonymous_id": visitor}).json()[
                        "data"
                    ]:
                        pass
                    lags.append(time.perf_counter() - began)

        side: dict[str, Any] = {}

        def shoppers() -> None:
            # As many orders as the ingestion lasts: stopped when the senders are done.
            side.update(order_flow(server.base, shop_keys, SKUS, clients=args.order_clients,
                                   orders=10**9, stop=done))  # fmt: skip

        probe = threading.Thread(target=prober)
        shopping = threading.Thread(target=shoppers)
        started = time.perf_counter()
        probe.start()
        shopping.start()
        with ThreadPoolExecutor(clients) as pool:
            sent = sum(pool.map(sender, range(clients)))
        seconds = time.perf_counter() - started
        done.set()
        probe.join()
        shopping.join()
        return {
            "benchmark": "ingest",
            "build": str(souk) if souk else "this worktree",
            "backend": backend,
            "events": sent,
            "batch": batch,
            "clients": clients,
            "seconds": round(seconds, 2),
            "events_per_s": round(sent / seconds, 1),
            "freshness_p50_s": round(percentile(lags, 50), 3),
            "freshness_p99_s": round(percentile(lags, 99), 3),
            "probes": len(lags),
            "orders_alone_per_s": round(alone["orders_per_s"], 2),
            "orders_with_ingest_per_s": round(side["orders_per_s"], 2),
            "order_flow_ratio": round(side["orders_per_s"] / alone["orders_per_s"], 3),
            "order_statuses": side["statuses"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--order-clients", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-souk", type=Path, default=None)
    args = parser.parse_args()
    builds: list[Path | None] = [None, *([args.baseline_souk] if args.baseline_souk else [])]
    for backend in args.backend.split(","):
        runs: dict[Path | None, list[dict[str, Any]]] = {b: [] for b in builds}
        for _ in range(args.repeats):
            for build in builds:
                runs[build].append(emit_run(run(args, backend, build)))
        medians = {}
        for build, done in runs.items():
            figures = {f: summarise([r[f] for r in done]) for f in FIGURES}
            medians[build] = figures["events_per_s"]["median"]
            emit({"benchmark": "ingest", "summary": True, "backend": backend,
                  "build": str(build) if build else "this worktree", "repeats": len(done),
                  **figures})  # fmt: skip
        if args.baseline_souk:
            ratio = medians[None] / medians[args.baseline_souk]
            emit({"benchmark": "ingest", "backend": backend,
                  "events_per_s_vs_baseline": round(ratio, 2)})  # fmt: skip


def emit_run(record: dict[str, Any]) -> dict[str, Any]:
    emit(record)
    return record


if __name__ == "__main__":
    main()
