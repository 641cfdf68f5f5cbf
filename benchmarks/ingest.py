"""CDP ingestion benchmark: Segment batches over real HTTP through identity resolution,
trait updates, computed traits and segments, and the lag until a profile reflects an event.

    .venv/bin/python benchmarks/ingest.py [--backend sqlite,postgresql] [--events 20000]
        [--batch 100] [--clients 4] [--probes 50]

For each back end: a scratch database, `souk serve` (one worker) on a free port, a web
channel with an ingest key and one segment (so segment evaluation is part of the cost).
`--clients` threads send gzipped `/v1/batch` requests of `--batch` messages shaped as the
Segment client sends them (an anonymous visitor's page and product views, then an
identify with user id and email every 10 messages). Meanwhile a probe thread sends one
`track` for a fresh visitor and polls `GET /v1/profiles?anonymous_id=` until the profile
shows it: the freshness lag. Prints one JSON line per back end. The order flow measured
in the same run (the issue's third figure) is not implemented yet.
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

from benchmarks.harness import admin_client, expect_ok, scratch_database, serve
from benchmarks.stats import emit, percentile

CHANNEL = {
    "code": "web", "name": "Web", "type": "web", "default_currency": "EUR",
    "currencies": ["EUR"], "default_locale": "fr", "locales": ["fr"], "country": "FR",
    "prices_include_tax": True,
}  # fmt: skip


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


def run(backend: str, events: int, batch: int, clients: int, probes: int) -> dict[str, Any]:
    with (
        scratch_database(backend) as url,
        serve(url, 1) as server,
        admin_client(server.base) as admin,
    ):
        expect_ok(admin.post("/v1/channels", json=CHANNEL))
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

        probe = threading.Thread(target=prober)
        started = time.perf_counter()
        probe.start()
        with ThreadPoolExecutor(clients) as pool:
            sent = sum(pool.map(sender, range(clients)))
        seconds = time.perf_counter() - started
        done.set()
        probe.join()
        return {
            "benchmark": "ingest",
            "backend": backend,
            "events": sent,
            "batch": batch,
            "clients": clients,
            "seconds": round(seconds, 2),
            "events_per_s": round(sent / seconds, 1),
            "freshness_p50_s": round(percentile(lags, 50), 3),
            "freshness_p99_s": round(percentile(lags, 99), 3),
            "probes": len(lags),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    for backend in args.backend.split(","):
        emit(run(backend, args.events, args.batch, args.clients, args.probes))


if __name__ == "__main__":
    main()
