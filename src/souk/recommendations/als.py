"""Personalised recommendations by implicit-feedback ALS (Hu, Koren & Volinsky 2008) with
the `implicit` library: a purchase counts its units, a product view a quarter.

`implicit` asks for single-threaded BLAS (its own threads do the work; OpenBLAS threads on
top oversubscribe the cores), so the fit runs inside `threadpool_limits(1)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

VIEW_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Interaction:
    profile: str
    sku: str
    weight: float


def train_and_recommend(
    interactions: Iterable[Interaction],
    *,
    factors: int,
    per_profile: int,
    iterations: int = 15,
    regularization: float = 0.05,
    seed: int = 7,
) -> dict[str, list[tuple[str, float]]]:
    """Top `per_profile` SKUs for every profile seen, best first (what a profile bought is
    kept: people buy the same coffee again)."""
    weights: dict[tuple[str, str], float] = {}
    for i in interactions:
        weights[(i.profile, i.sku)] = weights.get((i.profile, i.sku), 0.0) + i.weight
    if not weights:
        return {}
    profiles = sorted({p for p, _ in weights})
    skus = sorted({s for _, s in weights})
    if len(skus) < 2:
        return {p: [(skus[0], 1.0)] for p in profiles}
    p_index = {p: n for n, p in enumerate(profiles)}
    s_index = {s: n for n, s in enumerate(skus)}
    rows = [p_index[p] for p, _ in weights]
    cols = [s_index[s] for _, s in weights]
    matrix = csr_matrix(
        (np.fromiter(weights.values(), dtype=np.float32), (rows, cols)),
        shape=(len(profiles), len(skus)),
    )
    n = min(per_profile, len(skus))
    # Imported here: implicit is only needed by the nightly refresh, not by every process.
    from implicit.als import AlternatingLeastSquares

    # Built inside the limit too: the model checks the BLAS threads when it is created.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=min(factors, len(skus)), iterations=iterations, regularization=regularization,
            random_state=seed, use_gpu=False,
        )  # fmt: skip
        model.fit(matrix, show_progress=False)
        ids, scores = model.recommend(
            np.arange(len(profiles)), matrix, N=n, filter_already_liked_items=False
        )
    return {
        profile: [(skus[j], float(s)) for j, s in zip(ids[k], scores[k], strict=True) if j >= 0]
        for k, profile in enumerate(profiles)
    }
