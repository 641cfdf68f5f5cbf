"""Admin console benchmark: how much a console page costs next to the API call it is a
client of, over real HTTP, on the demo business with imported orders.

    .venv/bin/python benchmarks/console_pages.py [--backend sqlite] [--orders 150]
        [--requests 100] [--dashboard-requests 5] [--repeats 3]

A scratch database (SQLite file, or a PostgreSQL database dropped at the end) gets
`souk demo load --products 200`, `--orders` marketplace orders imported through
`POST /v1/orders/import`, and a staff account; then `souk serve` (1 worker). One client,
signed in to the console, asks back to back, interleaved so both see the same machine load:
the orders screen (`/admin/orders`, 25 a page) and its baseline, the API call behind it
(`GET /v1/orders?limit=25`); then the fulfilment queue against `GET /v1/fulfillment-orders`,
and the dashboard (30 days, no API baseline: it pages through the orders service). Prints
one JSON line per repeat, then a summary line per route (median and spread over the
repeats of p50, p99 and of the page ÷ API ratio of medians).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import ADMIN_KEY, scratch_database, serve
from benchmarks.stats import emit, percentile, summarise
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.uow import UnitOfWork
from souk.demo import loader
from souk.settings import Settings
from souk.staff import service

PASSWORD = "benchmark passphrase"
PAIRS = {
    "orders": ("/admin/orders", "/v1/orders?limit=25"),
    "fulfilment": ("/admin/fulfilment", "/v1/fulfillment-orders?limit=25"),
    "dashboard": ("/admin/dashboard", None),
}


def prepare(url: str) -> None:
    db = Database(Settings(database_url=url))
    migrate(db)
    with Progress(console=Console(stderr=True)) as progress:
        loader.load(db, products=200, seed=7, progress=progress)
    service.create_staff(
        uow=UnitOfWork(db), email="bench@example.com", name="Bench", role="admin",
        stores=[], password=PASSWORD,
    )  # fmt: skip
    db.dispose()


def import_orders(api: httpx.Client, count: int) -> None:
    """Marketplace orders of one unit each, moving on to the next SKU when one sells out."""
    channel = api.get("/v1/channels").json()["data"][0]
    products = api.get("/v1/products?limit=50").json()["data"]
    skus = [v["sku"] for p in products for v in p["variants"]]
    imported = 0
    for i in range(count * 5):
        if imported == count or not skus:
            break
        answer = api.post(
            "/v1/orders/import",
            json={"channel": channel["code"], "external_id": f"bench-{i}",
                  "currency": channel["default_currency"],
                  "lines": [{"sku": skus[0], "quantity": 1, "unit_price": 1000 + i}]},
        )  # fmt: skip
        if answer.status_code == 409:
            skus.pop(0)
            continue
        answer.raise_for_status()
        imported += 1
        if imported % 50 == 0:
            print(f"imported {imported} orders", file=sys.stderr, flush=True)
    assert imported == count, f"imported {imported} of {count} orders"


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/admin/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    client.post("/admin/sign-in", data={"csrf_token": token.group(1),
                "email": "bench@example.com", "password": PASSWORD})  # fmt: skip
    assert "souk_staff" in client.cookies, "sign-in failed"
    return client


def timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    answer.raise_for_status()
    return elapsed


def one_repeat(
    page: httpx.Client, api: httpx.Client, requests: int, dashboard_requests: int
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, (page_path, api_path) in PAIRS.items():
        page_ms: list[float] = []
        api_ms: list[float] = []
        for _ in range(dashboard_requests if name == "dashboard" else requests):
            page_ms.append(timed(page, page_path))
            if api_path:
                api_ms.append(timed(api, api_path))
        result[name] = {"page_p50_ms": percentile(page_ms, 50),
                        "page_p99_ms": percentile(page_ms, 99)}  # fmt: skip
        if api_ms:
            result[name]["api_p50_ms"] = percentile(api_ms, 50)
            result[name]["ratio"] = statistics.median(page_ms) / statistics.median(api_ms)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--dashboard-requests", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with scratch_database(args.backend) as url:
        prepare(url)
        with serve(url, 1) as server:
            headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
            with httpx.Client(base_url=server.base, headers=headers, timeout=30) as api:
                import_orders(api, args.orders)
                page = signed_in(server.base)
                runs = []
                for repeat in range(args.repeats):
                    run = one_repeat(page, api, args.requests, args.dashboard_requests)
                    runs.append(run)
                    emit({"benchmark": "console", "backend": args.backend, "repeat": repeat,
                          "orders": args.orders, **run})  # fmt: skip
                page.close()
    for name in PAIRS:
        figures = {key: summarise([r[name][key] for r in runs]) for key in runs[0][name]}
        emit({"benchmark": "console", "summary": name, "backend": args.backend, **figures})


if __name__ == "__main__":
    main()
