"""Routing benchmark: the optimiser (HiGHS MILP) against greedy nearest-location.

    .venv/bin/python benchmarks/routing.py [--orders 10000] [--locations 500] [--repeats 3]

A synthetic but realistic network: warehouses and stores in the cities of eight European
countries (real coordinates, stores spread by population), a catalogue with Zipf-skewed
demand where stores hold the popular items in small quantities and warehouses most items in
depth, stores that do not ship furniture, and a daily capacity per location. Each order
comes from a customer near a city (weighted by population) and has 1–5 lines; the channel
ships from the customer's country and from every warehouse (cross-border costs extra).

Both methods route the same order stream, each on its own copy of the stock and capacity,
which they deplete as they go, so the comparison is of the whole day's routing. Prints one
JSON line per repeat and a summary line (median and spread of the timings; costs are
deterministic). Pure Python and SciPy: no database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from souk.fulfilment.routing import route
from souk.fulfilment.routing_model import Candidate, Destination, RoutingLine, Weights

# (country, city, lat, lon, population in thousands — metropolitan, rounded)
CITIES = [
    ("FR", "Paris", 48.857, 2.352, 12200), ("FR", "Lyon", 45.764, 4.836, 2300),
    ("FR", "Marseille", 43.296, 5.370, 1900), ("FR", "Toulouse", 43.605, 1.444, 1400),
    ("FR", "Lille", 50.629, 3.057, 1500), ("FR", "Bordeaux", 44.838, -0.579, 1300),
    ("FR", "Nantes", 47.218, -1.554, 1000), ("FR", "Strasbourg", 48.573, 7.752, 800),
    ("DE", "Berlin", 52.520, 13.405, 4500), ("DE", "Hamburg", 53.551, 9.994, 3300),
    ("DE", "Munich", 48.135, 11.582, 2900), ("DE", "Cologne", 50.938, 6.960, 3500),
    ("DE", "Frankfurt", 50.110, 8.682, 2700), ("DE", "Stuttgart", 48.776, 9.183, 2800),
    ("DE", "Leipzig", 51.340, 12.375, 1100), ("ES", "Madrid", 40.417, -3.704, 6700),
    ("ES", "Barcelona", 41.385, 2.173, 5600), ("ES", "Valencia", 39.470, -0.376, 1600),
    ("ES", "Seville", 37.389, -5.984, 1500), ("ES", "Bilbao", 43.263, -2.935, 1000),
    ("IT", "Rome", 41.903, 12.496, 4300), ("IT", "Milan", 45.464, 9.190, 4900),
    ("IT", "Naples", 40.852, 14.268, 3100), ("IT", "Turin", 45.070, 7.687, 1700),
    ("IT", "Bologna", 44.494, 11.343, 1000), ("NL", "Amsterdam", 52.368, 4.904, 2500),
    ("NL", "Rotterdam", 51.924, 4.478, 1800), ("NL", "Utrecht", 52.091, 5.122, 900),
    ("BE", "Brussels", 50.850, 4.352, 2100), ("BE", "Antwerp", 51.219, 4.402, 1100),
    ("GB", "London", 51.507, -0.128, 14000), ("GB", "Manchester", 53.481, -2.243, 2800),
    ("GB", "Birmingham", 52.486, -1.890, 2900), ("GB", "Glasgow", 55.864, -4.252, 1800),
    ("PL", "Warsaw", 52.230, 21.012, 3100), ("PL", "Krakow", 50.065, 19.945, 1500),
    ("PL", "Wroclaw", 51.108, 17.039, 1200),
]  # fmt: skip
CATEGORIES = ["apparel", "shoes", "accessories", "furniture"]
CATEGORY_SHARE = [0.6, 0.2, 0.15, 0.05]
LINES_PER_ORDER = ([1, 2, 3, 4, 5], [0.35, 0.25, 0.18, 0.12, 0.10])
UNITS_PER_LINE = ([1, 2, 3], [0.82, 0.14, 0.04])
WAREHOUSES_PER_COUNTRY = 2
HANDLING = {"warehouse": 150.0, "store": 350.0}


@dataclass
class Network:
    codes: list[str]
    kind: list[str]
    country: list[str]
    lat: np.ndarray
    lon: np.ndarray
    stock: np.ndarray  # locations × skus
    capacity: np.ndarray
    sku_category: list[str]
    by_country: dict[str, np.ndarray]  # eligible location indices per customer country


def build_network(n_locations: int, n_skus: int, n_orders: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    pops = np.array([c[4] for c in CITIES], dtype=float)
    countries = sorted({c[0] for c in CITIES})
    codes, kind, country, lat, lon = [], [], [], [], []
    for cc in countries:  # warehouses near each country's biggest cities
        cities = sorted((c for c in CITIES if c[0] == cc), key=lambda c: -c[4])
        for k, city in enumerate(cities[:WAREHOUSES_PER_COUNTRY]):
            codes.append(f"wh-{cc.lower()}-{k}")
            kind.append("warehouse")
            country.append(cc)
            lat.append(city[2] + rng.normal(0, 0.25))
            lon.append(city[3] + rng.normal(0, 0.25))
    n_stores = n_locations - len(codes)
    store_city = rng.choice(len(CITIES), size=n_stores, p=pops / pops.sum())
    for k, ci in enumerate(store_city):
        city = CITIES[ci]
        codes.append(f"store-{city[1].lower()}-{k}")
        kind.append("store")
        country.append(city[0])
        lat.append(city[2] + rng.normal(0, 0.08))
        lon.append(city[3] + rng.normal(0, 0.12))

    popularity = 1.0 / np.arange(1, n_skus + 1) ** 1.05  # Zipf-like demand
    popularity /= popularity.sum()
    sku_category = list(rng.choice(CATEGORIES, size=n_skus, p=CATEGORY_SHARE))
    expected_units = n_orders * 2.4 * 1.22
    demand = expected_units * popularity
    is_wh = np.array([k == "warehouse" for k in kind])
    stock = np.zeros((len(codes), n_skus), dtype=np.int64)
    n_wh = int(is_wh.sum())
    # Warehouses hold most items in depth, together about 1.3× the day's expected demand.
    carries = rng.random((n_wh, n_skus)) < 0.85
    stock[is_wh] = carries * rng.poisson(1.3 * demand / (0.85 * n_wh) + 1.0)
    # Stores hold the popular items, a few units each; together about the day's demand.
    store_share = np.minimum(1.0, 40 * popularity / popularity[0] * 0.9 + 0.02)
    furniture = np.array([c == "furniture" for c in sku_category])
    carries = (rng.random((n_stores, n_skus)) < store_share) & ~furniture
    stock[~is_wh] = carries * (1 + rng.poisson(np.minimum(4.0, demand / (n_stores * 0.5))))
    capacity = np.where(is_wh, 20_000, 60).astype(np.int64)
    by_country = {cc: np.flatnonzero(is_wh | (np.array(country) == cc)) for cc in countries}
    return Network(
        codes, kind, country, np.array(lat), np.array(lon), stock, capacity, sku_category,
        by_country,
    )  # fmt: skip


def build_orders(net: Network, n_orders: int, seed: int) -> list[tuple[Destination, list[Any]]]:
    rng = np.random.default_rng(seed + 1)
    pops = np.array([c[4] for c in CITIES], dtype=float)
    n_skus = net.stock.shape[1]
    popularity = 1.0 / np.arange(1, n_skus + 1) ** 1.05
    popularity /= popularity.sum()
    orders = []
    for _ in range(n_orders):
        city = CITIES[rng.choice(len(CITIES), p=pops / pops.sum())]
        dest = Destination(city[2] + rng.normal(0, 0.2), city[3] + rng.normal(0, 0.3), city[0])
        n_lines = int(rng.choice(LINES_PER_ORDER[0], p=LINES_PER_ORDER[1]))
        skus = rng.choice(n_skus, size=n_lines, replace=False, p=popularity)
        lines = [(int(s), int(rng.choice(UNITS_PER_LINE[0], p=UNITS_PER_LINE[1]))) for s in skus]
        orders.append((dest, lines))
    return orders


def run(net: Network, orders: list[tuple[Destination, list[Any]]], method: str) -> dict[str, Any]:
    stock = net.stock.copy()
    capacity = net.capacity.copy()
    weights = Weights()
    total_cost = 0.0
    splits = packages = unfulfilled = 0
    times: list[float] = []
    index = {code: j for j, code in enumerate(net.codes)}
    for dest, order_lines in orders:
        sku_ids = [s for s, _ in order_lines]
        eligible = net.by_country[dest.country or ""]
        # What an availability query returns: the locations holding any of the SKUs.
        holding = eligible[(stock[np.ix_(eligible, sku_ids)] > 0).any(axis=1)]
        lines = [
            RoutingLine(f"l{k}", f"sku{s}", q, net.sku_category[s])
            for k, (s, q) in enumerate(order_lines)
        ]
        candidates = [
            Candidate(
                code=net.codes[j],
                lat=float(net.lat[j]),
                lon=float(net.lon[j]),
                stock={f"sku{s}": int(stock[j, s]) for s in sku_ids},
                capacity=int(capacity[j]),
                handling_cost=HANDLING[net.kind[j]],
                excluded_categories=frozenset({"furniture"})
                if net.kind[j] == "store"
                else frozenset(),
                country=net.country[j],
            )
            for j in holding
        ]
        started = time.perf_counter()
        plan = route(lines=lines, candidates=candidates, destination=dest, weights=weights,
                     method=method, time_limit_s=1.0)  # fmt: skip
        times.append(time.perf_counter() - started)
        for a in plan.assignments:
            j = index[a.location]
            stock[j, int(a.sku[3:])] -= a.quantity
            capacity[j] -= a.quantity
        total_cost += plan.cost
        packages += plan.packages
        splits += plan.packages > 1
        unfulfilled += sum(plan.unfulfilled.values())
    n = len(orders)
    return {
        "total_cost": round(total_cost),
        "split_rate": round(splits / n, 4),
        "packages_per_order": round(packages / n, 3),
        "unfulfilled_units": unfulfilled,
        "s_per_1000_orders": round(sum(times) / n * 1000, 3),
        "ms_per_order_p50": round(float(np.percentile(times, 50)) * 1000, 2),
        "ms_per_order_p99": round(float(np.percentile(times, 99)) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=500)
    parser.add_argument("--skus", type=int, default=3_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    net = build_network(args.locations, args.skus, args.orders, args.seed)
    orders = build_orders(net, args.orders, args.seed)
    results = []
    for repeat in range(args.repeats):
        greedy = run(net, orders, "greedy")
        best = run(net, orders, "milp")
        row = {
            "benchmark": "routing",
            "repeat": repeat + 1,
            "orders": args.orders,
            "locations": args.locations,
            "cost_ratio_optimiser_vs_greedy": round(best["total_cost"] / greedy["total_cost"], 4),
            "optimiser": best,
            "greedy": greedy,
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    per_1000 = [r["optimiser"]["s_per_1000_orders"] for r in results]
    ratios = [r["cost_ratio_optimiser_vs_greedy"] for r in results]
    print(
        json.dumps(
            {
                "benchmark": "routing",
                "summary": True,
                "repeats": args.repeats,
                "cost_ratio_median": statistics.median(ratios),
                "cost_reduction_pct": round((1 - statistics.median(ratios)) * 100, 2),
                "optimiser_split_rate": results[0]["optimiser"]["split_rate"],
                "greedy_split_rate": results[0]["greedy"]["split_rate"],
                "optimiser_s_per_1000_orders_median": statistics.median(per_1000),
                "optimiser_s_per_1000_orders_spread": [min(per_1000), max(per_1000)],
                "greedy_s_per_1000_orders_median": statistics.median(
                    r["greedy"]["s_per_1000_orders"] for r in results
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
