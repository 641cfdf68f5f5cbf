"""nearby: "is it in a store near me?" among 5,000 pickup stores, over real HTTP.

    .venv/bin/python benchmarks/nearby.py [--backend sqlite,postgresql] [--stores 5000]
        [--radius-km 25] [--requests 400] [--clients 1] [--repeats 3]

For each back end (a scratch database of its own): `--stores` pickup stores around twelve
European cities (most within 40 km of a centre, some scattered across the countryside), one
SKU in stock at about two thirds of them, and a web channel that offers pickup at every one
(it names no pickup list, which means every location that can be a pickup point). A
`souk serve` with one worker answers GET /v1/availability/nearby for points picked at
random near the cities, radius `--radius-km`; `--clients` keep-alive connections send
`--requests` each, back to back. Answers are checked (200, sorted by distance, all within
the radius). Prints one JSON line per repeat and a summary line per back end (median and
spread); target p99 < 20 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import admin_client, eur_web_channel, expect_ok, scratch_database, serve
from benchmarks.loadgen import hammer, http_request
from benchmarks.stats import emit, percentile, summarise
from souk.catalog.tables import VariantRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.inventory.tables import LocationRow, stock_levels, stock_movements
from souk.settings import Settings

CITIES = [
    ("FR", 48.8566, 2.3522),
    ("FR", 45.7640, 4.8357),
    ("FR", 43.2965, 5.3698),
    ("DE", 52.5200, 13.4050),
    ("DE", 48.1351, 11.5820),
    ("ES", 40.4168, -3.7038),
    ("ES", 41.3874, 2.1686),
    ("IT", 45.4642, 9.1900),
    ("IT", 41.9028, 12.4964),
    ("NL", 52.3676, 4.9041),
    ("BE", 50.8503, 4.3517),
    ("GB", 51.5072, -0.1276),
]
SKU = "NEAR-1"


def seed_stores(url: str, stores: int, rng: random.Random) -> None:
    """Stores written in bulk: the benchmark is the read, not the load."""
    db = Database(Settings(database_url=url))
    migrate(db)
    now = utcnow()
    rows = []
    for i in range(stores):
        country, lat, lon = CITIES[i % len(CITIES)]
        spread = 0.25 if rng.random() < 0.8 else 2.5  # most within the metro area
        rows.append(
            {
                "code": f"st-{i:05d}",
                "name": f"Store {i}",
                "type": "store",
                "country": country,
                "lat": max(-89.0, min(89.0, lat + rng.gauss(0, spread))),
                "lon": lon + rng.gauss(0, spread * 1.4),
                "timezone": "Europe/Paris",
                "can_ship": False,
                "can_pickup": True,
                "accepts_returns": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.transaction() as session:
        session.execute(insert(LocationRow), rows)
    db.dispose()


def seed_shop(base: str) -> str:
    """Warehouse, product, channel (pickup at every store: the API takes at most 500 codes
    in a pickup list) through the API; returns the channel's publishable key."""
    with admin_client(base) as admin:
        warehouse = {"code": "wh-1", "name": "Warehouse", "type": "warehouse"}
        expect_ok(admin.post("/v1/locations", json={**warehouse, "address": {"country": "FR"}}))
        product = {"handle": "near", "title": {"en": "Near"}, "variants": [{"sku": SKU}]}
        expect_ok(admin.post("/v1/products", json=product))
        expect_ok(admin.post("/v1/channels", json=eur_web_channel(["wh-1"])))
        key = {"name": "bench", "role": "storefront", "channel": "web"}
        secret: str = expect_ok(admin.post("/v1/api-keys", json=key)).json()["key"]
        return secret


def seed_stock(url: str, rng: random.Random) -> None:
    """The SKU on hand at about two thirds of the stores, each receipt in the ledger."""
    db = Database(Settings(database_url=url))
    now = utcnow()
    with db.transaction() as session:
        variant_id = session.scalar(select(VariantRow.id).where(VariantRow.sku == SKU))
        stores = session.scalars(select(LocationRow.id).where(LocationRow.type == "store")).all()
        chosen = [loc for loc in stores if rng.random() < 0.66]
        session.execute(
            insert(stock_levels),
            [
                {
                    "variant_id": variant_id,
                    "location_id": loc,
                    "on_hand": rng.randint(1, 12),
                    "updated_at": now,
                }
                for loc in chosen
            ],
        )
        rows = session.execute(
            select(stock_levels.c.id, stock_levels.c.location_id, stock_levels.c.on_hand)
        ).all()
        session.execute(
            insert(stock_movements),
            [
                {
                    "stock_id": sid,
                    "variant_id": variant_id,
                    "location_id": loc,
                    "type": "receipt",
                    "quantity": on_hand,
                    "on_hand_after": on_hand,
                    "created_at": now,
                }
                for sid, loc, on_hand in rows
            ],
        )
    db.dispose()


def points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    found = []
    for _ in range(count):
        _, lat, lon = rng.choice(CITIES)
        found.append((lat + rng.gauss(0, 0.15), lon + rng.gauss(0, 0.2)))
    return found


def check(raw: bytes, lat: float, lon: float, radius_km: float) -> int:
    stores = json.loads(raw)
    distances = [s["distance_km"] for s in stores]
    if distances != sorted(distances) or any(d > radius_km for d in distances):
        raise RuntimeError("nearby answer not sorted or out of radius")
    return len(stores)


def run(
    port: int,
    key: str,
    spots: list[tuple[float, float]],
    radius_km: float,
    clients: int,
    requests: int,
) -> dict[str, Any]:
    headers = {"X-Publishable-Key": key}
    paths = [
        f"/v1/availability/nearby?sku={SKU}&lat={lat:.5f}&lon={lon:.5f}&radius_km={radius_km}"
        for lat, lon in spots
    ]
    batch = [http_request("GET", path, b"", headers) for path in paths]
    samples, wall = hammer(port, batch, clients=clients, count=requests)
    if any(s.status != 200 for s in samples):
        raise RuntimeError(f"unexpected statuses {sorted({s.status for s in samples})}")
    latencies = [s.latency_s * 1000 for s in samples]
    return {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "requests_per_s": round(len(samples) / wall, 1),
        "requests": len(samples),
    }


def sample_answers(
    port: int, key: str, spots: list[tuple[float, float]], radius_km: float
) -> float:
    """Check a sample of answers with a full client; returns the mean number of stores."""
    counts = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-Publishable-Key": key}) as c:
        for lat, lon in spots[:50]:
            response = c.get(
                "/v1/availability/nearby",
                params={"sku": SKU, "lat": lat, "lon": lon, "radius_km": radius_km, "limit": 200},
            )
            counts.append(check(response.content, lat, lon, radius_km))
    return round(sum(counts) / len(counts), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--radius-km", type=float, default=25.0)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    for backend in args.backend.split(","):
        rng = random.Random(args.seed)
        with scratch_database(backend) as url:
            seed_stores(url, args.stores, rng)
            with serve(url, 1, env={"SOUK_DB_POOL_SIZE": "12"}) as server:
                port = server.port
                key = seed_shop(server.base)
                seed_stock(url, rng)
                spots = points(rng, 500)
                stores_per_answer = sample_answers(port, key, spots, args.radius_km)
                run(port, key, spots, args.radius_km, args.clients, 100)  # warm-up
                context = {
                    "benchmark": "nearby",
                    "backend": backend,
                    "stores": args.stores,
                    "radius_km": args.radius_km,
                    "clients": args.clients,
                    "stores_per_answer": stores_per_answer,
                }
                runs = []
                for repeat in range(1, args.repeats + 1):
                    result = run(port, key, spots, args.radius_km, args.clients, args.requests)
                    runs.append(result)
                    emit({**context, "repeat": repeat, **result})
                summary = {**context, "summary": True}
                for figure in ("p50_ms", "p99_ms", "requests_per_s"):
                    summary[figure] = summarise([r[figure] for r in runs])
                emit(summary)


if __name__ == "__main__":
    main()
