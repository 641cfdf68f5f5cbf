"""How the ranker's settings (`souk.recommendations.ranker.Ranking`) were chosen: on the
validation split of benchmarks/recs_tune.py (each shopper's last training order held out),
never the benchmark's test baskets.

    .venv/bin/python benchmarks/recs_rank_tune.py [--factors 64]

The training examples (up to the largest `cuts` in the grid) and the candidates of the
validation histories are built once, as `personal_lists` builds them; then each point of
the grid trains a ranker and ranks. Prints one JSON line per point with its HR@10, NDCG@10
and seconds to train; HR@10 moves by 1/593 per shopper, so points a few shoppers apart are
within the noise of the seed (the grid repeats the default with other seeds to show it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recs import K, load, metrics, orders_of, ranked
from benchmarks.recs_tune import validation_split
from benchmarks.stats import emit
from souk.recommendations.next_basket import next_basket_lists
from souk.recommendations.personal import examples, ranked_candidates
from souk.recommendations.ranker import Ranking, train

GRID = [
    {},
    {"seed": 1},
    {"seed": 2},
    {"cuts": 1},
    {"cuts": 3},
    {"trees": 50, "learning_rate": 0.1},
    {"trees": 200},
    {"leaves": 15},
    {"objective": "lambdarank"},
    {"objective": "lambdarank", "trees": 200},
    {"objective": "binary"},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=int, default=64)
    args = parser.parse_args()
    train_lines, _ = load()  # the test baskets are dropped here, unread
    fit, truth = validation_split(train_lines)
    orders = orders_of(fit)
    most = max(Ranking(**point).cuts for point in GRID)
    built = examples(orders=orders, factors=args.factors, ranking=Ranking(cuts=most))
    found, als = ranked_candidates(orders=orders, factors=args.factors, per_profile=K)
    histories = {p: [o.keys() for o in h] for p, h in orders.items()}
    base = next_basket_lists(histories, per_profile=K, fill=als)
    hr, ndcg = metrics(ranked(base), truth)
    emit({"benchmark": "recs-rank-tune", "point": "next-basket", "hr10": round(hr, 4),
          "ndcg10": round(ndcg, 4), "validation_shoppers": len(truth)})  # fmt: skip
    for point in GRID:
        ranking = Ranking(**point)
        started = time.perf_counter()
        ranker = train(built[: ranking.cuts], ranking)
        seconds = time.perf_counter() - started
        assert ranker is not None
        hr, ndcg = metrics(ranked(ranker.lists(found, K)), truth)
        emit({"benchmark": "recs-rank-tune", "point": point or "default", "hr10": round(hr, 4),
              "ndcg10": round(ndcg, 4), "train_seconds": round(seconds, 2)})  # fmt: skip


if __name__ == "__main__":
    main()
