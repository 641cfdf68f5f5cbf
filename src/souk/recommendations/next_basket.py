"""Next-basket lists in the spirit of TIFU-KNN (Hu, Dai, Xie, Ryu & He, "Modeling
personalized item frequency information for next-basket recommendation", SIGIR 2020):
grocery-like shoppers mostly buy again what they bought lately, so each profile is a
time-decayed item-frequency vector over its own orders, blended with the mean vector of
its nearest profiles (cosine), which adds what people who shop alike buy. A second list
per profile (ALS's, for one) is blended in with a small weight: it breaks ties among equal
frequencies and fills the lists of profiles with few or no orders (only views).

Pure: no database. Orders come oldest first; the decay is over the order sequence, not the
calendar, because a weekly and a monthly shopper are each best told by their last few
orders. The vector is a decayed share of orders holding the SKU (in [0, 1] whatever the
length of the history), which keeps the own, neighbour and fill parts on one scale.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, diags

# Profiles are scored a block at a time, this many similarities a block (32 MB), so memory
# stays flat however many profiles there are.
BLOCK = 1 << 22

History = Sequence[Collection[str]]  # a profile's orders, oldest first, each its SKUs


@dataclass(frozen=True, slots=True)
class Tuning:
    """How the parts are blended; the defaults were chosen on a validation split of the
    Instacart sample's training orders (docs/forecasting.md says how)."""

    decay: float = 0.8  # an order k orders before the latest weighs decay**k
    neighbours: int = 50
    own_weight: float = 0.6  # the rest of the frequency part is the neighbours' mean
    fill_weight: float = 0.001  # the fill list's scores, scaled to its best = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.decay <= 1.0:
            raise ValueError(f"decay must be in (0, 1], not {self.decay}")
        if self.neighbours < 0:
            raise ValueError(f"neighbours must be >= 0, not {self.neighbours}")
        if not 0.0 < self.own_weight <= 1.0:
            raise ValueError(f"own_weight must be in (0, 1], not {self.own_weight}")
        if self.fill_weight <= 0.0:
            raise ValueError(f"fill_weight must be above 0, not {self.fill_weight}")


def _frequencies(
    histories: Sequence[History], sku_index: Mapping[str, int], decay: float
) -> csr_matrix:
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for row, history in enumerate(histories):
        weights = decay ** np.arange(len(history) - 1, -1, -1, dtype=np.float64)
        weights /= weights.sum() if len(history) else 1.0
        for basket, weight in zip(history, weights, strict=True):
            # Sorted: a set's order changes from one process to the next (string hashing),
            # and with it the order duplicates are summed in, so the last bit of a score;
            # that bit would break ties between equal scores differently each run.
            for sku in sorted(set(basket)):
                rows.append(row)
                cols.append(sku_index[sku])
                values.append(float(weight))
    # Duplicate (row, col) entries are summed: the SKU's decayed share of the orders.
    return csr_matrix((values, (rows, cols)), shape=(len(histories), len(sku_index)))


def _unit_rows(vectors: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    return csr_matrix(diags(1.0 / np.where(norms > 0, norms, 1.0)) @ vectors)


def _neighbour_means(
    unit: csr_matrix, vectors: csr_matrix, start: int, stop: int, k: int
) -> csr_matrix:
    """Rows `start:stop`, each the mean of its `k` most cosine-similar other rows; one
    sharing nothing (similarity 0) adds nothing, so a profile without orders gets none."""
    sims = (unit[start:stop] @ unit.T).toarray()
    sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # never oneself
    # The mean needs the set of neighbours, not their order; rows come sorted by profile,
    # so equal similarities at the edge fall the same way every run.
    cols = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.where(np.take_along_axis(sims, cols, axis=1) > 0, 1.0 / k, 0.0)
    rows = np.repeat(np.arange(stop - start), k)
    mixer = csr_matrix((weights.ravel(), (rows, cols.ravel())), shape=(stop - start, unit.shape[0]))
    return csr_matrix(mixer @ vectors)


def _fill_matrix(
    profiles: Sequence[str],
    fill: Mapping[str, Sequence[tuple[str, float]]],
    sku_index: Mapping[str, int],
) -> csr_matrix:
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for row, profile in enumerate(profiles):
        items = [(s, v) for s, v in fill.get(profile, ()) if v > 0]
        top = max((v for _, v in items), default=1.0)
        for sku, value in items:
            rows.append(row)
            cols.append(sku_index[sku])
            values.append(value / top)
    return csr_matrix((values, (rows, cols)), shape=(len(profiles), len(sku_index)))


@dataclass(frozen=True, slots=True)
class Space:
    """The profiles (sorted) and SKUs (sorted) the scores are over, each profile's own
    decayed frequency vector, and in how many profiles' orders each SKU is (`reach`)."""

    profiles: list[str]
    skus: list[str]
    own: csr_matrix
    reach: np.ndarray


@dataclass(frozen=True, slots=True)
class Parts:
    """The unweighted parts of rows `start:stop` of the space: the profiles' own vectors,
    their neighbours' mean (zero without neighbours) and the fill scaled to its best = 1."""

    start: int
    stop: int
    own: csr_matrix
    neighbours: csr_matrix
    fill: csr_matrix

    def blend(self, tuning: Tuning) -> csr_matrix:
        block = csr_matrix(
            self.own * tuning.own_weight
            + self.neighbours * (1 - tuning.own_weight)
            + self.fill * tuning.fill_weight
        )
        block.eliminate_zeros()
        block.sort_indices()
        return block


def space_and_parts(
    histories: Mapping[str, History],
    *,
    tuning: Tuning = Tuning(),
    fill: Mapping[str, Sequence[tuple[str, float]]] | None = None,
) -> tuple[Space, Iterator[Parts]]:
    """The space of every profile with an order or a fill list, and its parts a block of
    rows at a time (the neighbour part of all profiles at once would not fit in memory)."""
    fill = fill or {}
    # Sorted, so that the answer does not depend on the order profiles and SKUs came in.
    profiles = sorted(
        {p for p, h in histories.items() if any(h)} | {p for p, f in fill.items() if f}
    )
    bought = [[b for b in histories.get(p, ()) if b] for p in profiles]
    skus = sorted(
        {s for h in bought for b in h for s in b}
        | {s for p in profiles for s, _ in fill.get(p, ())}
    )
    sku_index = {s: n for n, s in enumerate(skus)}
    own = _frequencies(bought, sku_index, tuning.decay)
    reach = np.bincount((own > 0).tocoo().col, minlength=len(skus))
    space = Space(profiles, skus, own, reach)

    def blocks() -> Iterator[Parts]:
        if not profiles:
            return
        fills = _fill_matrix(profiles, fill, sku_index)
        unit = _unit_rows(own)
        k = min(tuning.neighbours, len(profiles) - 1) if tuning.own_weight < 1.0 else 0
        step = max(1, BLOCK // len(profiles))
        for start in range(0, len(profiles), step):
            stop = min(start + step, len(profiles))
            near = (
                _neighbour_means(unit, own, start, stop, k)
                if k > 0
                else csr_matrix((stop - start, len(skus)))
            )
            yield Parts(
                start, stop, csr_matrix(own[start:stop]), near, csr_matrix(fills[start:stop])
            )

    return space, blocks()


def next_basket_lists(
    histories: Mapping[str, History],
    *,
    per_profile: int,
    tuning: Tuning = Tuning(),
    fill: Mapping[str, Sequence[tuple[str, float]]] | None = None,
) -> dict[str, list[tuple[str, float]]]:
    """The top `per_profile` SKUs, best first, for every profile with an order or a fill
    list. Equal scores go to the SKU in more profiles' orders, then to the lower SKU."""
    if per_profile < 1:
        raise ValueError(f"per_profile must be >= 1, not {per_profile}")
    space, blocks = space_and_parts(histories, tuning=tuning, fill=fill)
    lists: dict[str, list[tuple[str, float]]] = {}
    for parts in blocks:
        block = parts.blend(tuning)
        for row in range(parts.stop - parts.start):
            cols = block.indices[block.indptr[row] : block.indptr[row + 1]]
            values = block.data[block.indptr[row] : block.indptr[row + 1]]
            best = np.lexsort((cols, -space.reach[cols], -values))[:per_profile]
            if len(best):  # a fill list of scores at or below 0 gives nothing to rank
                lists[space.profiles[parts.start + row]] = [
                    (space.skus[cols[j]], float(values[j])) for j in best
                ]
    return lists
