"""Storefront catalog benchmark: a page of 50 products — localized, priced, with tax display
and availability — over real HTTP, on a catalog of 10,000 products.

    .venv/bin/python benchmarks/catalog.py [--backend sqlite,postgresql] [--products 10000]
        [--clients 8] [--requests 800] [--repeats 3] [--workers 1,2] [--cache-ttl 2,0]

For each back end: a database of its own (a scratch SQLite file; a scratch PostgreSQL
database, dropped at the end), filled by `souk demo load` with `--products` products
(locations, channels, prices, stock), then `souk serve` in a subprocess on a free port.
`--clients` threads, each with its own HTTP connection, request pages of the `web`
channel's catalog (`?locale=fr&limit=50`, pages picked at random among the first ones)
back to back. Each configuration runs with the storefront page cache on (its default
lifetime, 2 s) and off (`SOUK_STOREFRONT_CACHE_TTL_S=0`: every page built), on the same
database in the same run. Prints one JSON line per repeat and a summary line per back end
(median and spread over the repeats); target p99 < 50 ms at 8 clients.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cpu import server_cpu_s
from benchmarks.harness import scratch_database, serve
from benchmarks.stats import emit, percentile, summarise
from souk.access import service as access_service
from souk.access.models import Role
from souk.access.schemas import ApiKeyCreate
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.uow import UnitOfWork
from souk.demo import loader
from souk.settings import Settings

PAGES = 40


def prepare(url: str, products: int) -> tuple[str, float]:
    """Fill the database with the demo business; returns the web storefront key and the
    seconds the load took."""
    db = Database(Settings(database_url=url))
    migrate(db)
    started = time.perf_counter()
    with Progress(console=Console(stderr=True)) as progress:
        loader.load(db, products=products, seed=7, progress=progress)
    seconds = time.perf_counter() - started
    key = access_service.create_key(
        uow=UnitOfWork(db),
        data=ApiKeyCreate(name="bench", role=Role.STOREFRONT, channel="web"),
    ).key
    db.dispose()
    return key, seconds


def cursors(base: str, key: str) -> list[str | None]:
    """The cursors of the first pages, so that clients ask for different pages."""
    found: list[str | None] = [None]
    with httpx.Client(base_url=base, headers={"X-Publishable-Key": key}, timeout=120) as client:
        while len(found) < PAGES:
            page = client.get("/v1/catalog/products", params=_params(found[-1])).json()
            if page["next_cursor"] is None:
                break
            found.append(page["next_cursor"])
    return found


def _params(cursor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"locale": "fr", "limit": 50}
    if cursor:
        params["cursor"] = cursor
    return params


def run(
    base: str, key: str, pages: list[str | None], clients: int, requests: int
) -> dict[str, Any]:
    per_client = requests // clients

    def client_loop(seed: int) -> list[float]:
        rng = random.Random(seed)
        latencies = []
        with httpx.Client(base_url=base, headers={"X-Publishable-Key": key}) as client:
            for _ in range(per_client):
                started = time.perf_counter()
                response = client.get("/v1/catalog/products", params=_params(rng.choice(pages)))
                latencies.append((time.perf_counter() - started) * 1000)
                # A cheap check: parsing 100 kB of JSON here would steal the server's CPU.
                if response.status_code != 200 or b'"next_cursor"' not in response.content:
                    raise RuntimeError(f"unexpected answer {response.status_code}")
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client_loop, range(clients)))
    elapsed = time.perf_counter() - started
    latencies = [ms for result in results for ms in result]
    return {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="server worker counts to try")
    parser.add_argument("--cache-ttl", default="2,0", help="page cache lifetimes (s) to try")
    args = parser.parse_args()
    for backend in args.backend.split(","):
        with scratch_database(backend) as url:
            key, load_s = prepare(url, args.products)
            for workers in [int(w) for w in args.workers.split(",")]:
                for ttl in args.cache_ttl.split(","):
                    measure(backend, url, key, workers, load_s, args, ttl)


def measure(
    backend: str,
    url: str,
    key: str,
    workers: int,
    load_s: float,
    args: argparse.Namespace,
    ttl: str,
) -> None:
    context = {
        "benchmark": "catalog",
        "backend": backend,
        "clients": args.clients,
        "workers": workers,
        "products": args.products,
        "cache_ttl_s": float(ttl),
    }
    with serve(url, workers, env={"SOUK_STOREFRONT_CACHE_TTL_S": ttl}) as server:
        base, pid = server.base, server.pid
        pages = cursors(base, key)
        run(base, key, pages, args.clients, args.clients * 10)  # warm-up
        runs = []
        for repeat in range(1, args.repeats + 1):
            cpu_before = server_cpu_s(pid)
            result = run(base, key, pages, args.clients, args.requests)
            cpu = (server_cpu_s(pid) - cpu_before) * 1000 / result["requests"]
            result["server_cpu_ms_per_request"] = round(cpu, 2)
            runs.append(result)
            emit({**context, "repeat": repeat, **result})
    figures = ("p50_ms", "p99_ms", "requests_per_s", "server_cpu_ms_per_request")
    emit(
        {
            **context,
            "summary": True,
            "demo_load_s": round(load_s, 1),
            "pages": len(pages),
            **{name: summarise([r[name] for r in runs]) for name in figures},
            "target_p99_ms": 50,
        }
    )


if __name__ == "__main__":
    main()
