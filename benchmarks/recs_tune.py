"""How the next-basket tuning (`souk.recommendations.next_basket.Tuning`) was chosen: on a
validation split made from the recs benchmark's training orders only, never its test
baskets.

    .venv/bin/python benchmarks/recs_tune.py [--factors 64]

Each shopper's last training order (their second-to-last overall) is held out and the
orders before it train; ALS is fitted once on those (it does not depend on the tuning) and
every point of the grid ranks with it as `personal_lists` does. Prints one JSON line per
point, then the chosen one: the highest HR@10, ties (within one shopper) to the higher
NDCG@10, then to the earlier point of the grid.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recs import K, load, metrics, orders_of, ranked
from benchmarks.stats import emit
from souk.recommendations.als import Interaction, train_and_recommend
from souk.recommendations.next_basket import Tuning, next_basket_lists

GRID = {
    "decay": [0.6, 0.7, 0.8, 0.9, 1.0],
    "neighbours": [10, 50, 100, 300],
    "own_weight": [0.3, 0.4, 0.5, 0.6, 0.8, 0.9, 1.0],
    "fill_weight": [0.001, 0.05, 0.2],
}


def validation_split(train: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    last = train.groupby("user_id")["order_number"].transform("max")
    shoppers = train.groupby("user_id")["order_number"].transform("nunique") >= 2
    held = train[shoppers & (train["order_number"] == last)]
    truth: dict[str, set[str]] = {}
    for user, product in zip(held["user_id"], held["product_id"], strict=True):
        truth.setdefault(str(user), set()).add(str(product))
    return train[~(shoppers & (train["order_number"] == last))], truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=int, default=64)
    args = parser.parse_args()
    train, _ = load()  # the test baskets are dropped here, unread
    fit, truth = validation_split(train)
    orders = orders_of(fit)
    counts = fit.groupby(["user_id", "product_id"]).size()
    als = train_and_recommend(
        [Interaction(str(u), str(p), float(n)) for (u, p), n in counts.items()],
        factors=args.factors,
        per_profile=K,
    )
    results = []
    for values in itertools.product(*GRID.values()):
        tuning = Tuning(**dict(zip(GRID, values, strict=True)))
        if tuning.own_weight == 1.0 and tuning.neighbours != GRID["neighbours"][0]:
            continue  # without neighbours their count changes nothing
        lists = next_basket_lists(orders, per_profile=K, tuning=tuning, fill=als)
        hr, ndcg = metrics(ranked(lists), truth)
        record = {"benchmark": "recs-tune", **dict(zip(GRID, values, strict=True))}
        emit({**record, "hr10": round(hr, 4), "ndcg10": round(ndcg, 4)})
        results.append((round(hr * len(truth)), ndcg, record))
    best = max(results, key=lambda r: (r[0], r[1]))  # max keeps the first of equals
    emit({**best[2], "chosen": True, "hr10": round(best[0] / len(truth), 4),
          "ndcg10": round(best[1], 4), "validation_shoppers": len(truth)})  # fmt: skip


if __name__ == "__main__":
    main()
