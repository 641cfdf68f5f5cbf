"""The learned ranking stage over the next-basket candidates (`candidates.py`): gradient-
boosted trees (LightGBM's LambdaRank) learn, from the shop's own past, which candidates a
shopper's next basket holds.

The labels never come from the future the lists are for: each training example cuts a
shopper's history before one of their latest orders (`Ranking.cuts` of them), describes
the candidates from the orders before the cut (the neighbours and ALS too), and labels
the ones the cut order holds. The model then ranks the candidates of the whole history.

Deterministic: one thread, a fixed seed and LightGBM's deterministic mode, so the same
orders give the same lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from souk.recommendations.candidates import FEATURES, Candidates

if TYPE_CHECKING:
    from lightgbm import Booster

OBJECTIVES = ("rank_xendcg", "lambdarank", "binary")


@dataclass(frozen=True, slots=True)
class Ranking:
    """The ranker's settings; chosen on a validation split of the Instacart sample's
    training orders (benchmarks/recs_rank_tune.py)."""

    depth: int = 100  # next-basket candidates per shopper
    popular: int = 20  # the SKUs most orders hold, added to every shopper's candidates
    cuts: int = 5  # training examples per shopper: their latest orders, one at a time
    trees: int = 100
    leaves: int = 31
    learning_rate: float = 0.05
    # LightGBM's listwise cross-entropy for NDCG (Bruch, SIGIR 2019): on the validation
    # split as good as LambdaRank or better, and twice as fast to train
    objective: str = "rank_xendcg"
    min_shoppers: int = 20  # fewer labelled shoppers than this: no ranker, next-basket only
    seed: int = 7

    def __post_init__(self) -> None:
        for name in ("depth", "cuts", "trees", "min_shoppers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, not {getattr(self, name)}")
        if self.popular < 0:
            raise ValueError(f"popular must be >= 0, not {self.popular}")
        if self.leaves < 2:
            raise ValueError(f"leaves must be >= 2, not {self.leaves}")
        if self.objective not in OBJECTIVES:
            known = ", ".join(OBJECTIVES)
            raise ValueError(f"objective must be one of {known}, not {self.objective!r}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise ValueError(f"learning_rate must be in (0, 1], not {self.learning_rate}")


@dataclass(frozen=True, slots=True)
class Example:
    """Candidates cut before an order, and the SKUs that order held per profile."""

    candidates: Candidates
    held: Mapping[str, Collection[str]]


class Ranker:
    """A trained model: scores candidates, and orders each profile's into its list."""

    def __init__(self, booster: Booster) -> None:
        self._booster = booster

    def scores(self, candidates: Candidates) -> np.ndarray:
        if not len(candidates.skus):
            return np.zeros(0)
        return np.asarray(self._booster.predict(candidates.features, num_threads=1))

    def lists(self, candidates: Candidates, per_profile: int) -> dict[str, list[tuple[str, float]]]:
        """Each profile's `per_profile` best candidates by the model; equal scores go to the
        higher next-basket score, then to the lower SKU."""
        scores = self.scores(candidates)
        blend = candidates.features[:, FEATURES.index("blend")]
        lists: dict[str, list[tuple[str, float]]] = {}
        for g, profile in enumerate(candidates.profiles):
            rows = candidates.group(g)
            names = candidates.skus[rows]
            by_name = np.argsort(np.argsort(names, kind="stable"), kind="stable")
            best = np.lexsort((by_name, -blend[rows], -scores[rows]))[:per_profile]
            lists[profile] = [(names[j], float(scores[rows][j])) for j in best]
        return lists


def _labelled(
    examples: Sequence[Example],
) -> tuple[np.ndarray, np.ndarray, list[int], set[str]]:
    features: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    groups: list[int] = []
    shoppers: set[str] = set()
    for example in examples:
        c = example.candidates
        for g, profile in enumerate(c.profiles):
            rows = c.group(g)
            held = example.held.get(profile, ())
            y = np.fromiter((s in held for s in c.skus[rows]), dtype=np.float32)
            if y.any():  # a group without a positive teaches a ranking nothing
                features.append(c.features[rows])
                labels.append(y)
                groups.append(len(y))
                shoppers.add(profile)
    if not groups:
        return np.zeros((0, len(FEATURES))), np.zeros(0), [], shoppers
    return np.vstack(features), np.concatenate(labels), groups, shoppers


def train(examples: Sequence[Example], ranking: Ranking) -> Ranker | None:
    """The ranker learnt from the examples, or None when too few shoppers are labelled
    for it to beat the next-basket order it starts from."""
    x, y, groups, shoppers = _labelled(examples)
    if len(shoppers) < ranking.min_shoppers:
        return None
    # Imported here: LightGBM is only needed by the nightly refresh, not by every process.
    import lightgbm

    params = {
        "objective": ranking.objective,
        "lambdarank_truncation_level": 20,
        "num_leaves": ranking.leaves,
        "learning_rate": ranking.learning_rate,
        "min_data_in_leaf": 50,
        "feature_fraction": 0.9,
        "seed": ranking.seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "verbose": -1,
    }
    data = lightgbm.Dataset(x, y, group=groups, feature_name=list(FEATURES), free_raw_data=True)
    return Ranker(lightgbm.train(params, data, num_boost_round=ranking.trees))
