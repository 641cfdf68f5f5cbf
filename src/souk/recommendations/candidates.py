"""Candidates for the learned ranker (`ranker.py`) and what it knows about each: per profile
the next-basket list's best SKUs (its own decayed frequency, its neighbours', the fill) and
the SKUs most orders hold, each described by the shopper's history with it, the SKU's
standing among all shoppers, and the shopper's habits.

Pure: no database. Recency is counted in orders, not days: Souk's baskets carry no dates
here, and a weekly and a monthly shopper are each best told by their last few orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from souk.recommendations.next_basket import History, Tuning, space_and_parts

NAN = float("nan")  # what a feature is when it does not apply (never bought, one order)

FEATURES = (
    "blend",  # the next-basket score the ranker replaces
    "own",  # the decayed share of the shopper's orders holding the SKU
    "neighbours",  # the same, the mean of the most alike shoppers
    "fill",  # ALS's score, scaled to the profile's best = 1
    "blend_rank",  # the SKU's place in the next-basket list
    "times",  # how many of the shopper's orders held it
    "share",  # times / the shopper's orders
    "since_last",  # orders since the shopper last bought it (0: the latest held it)
    "since_first",
    "mean_gap",  # orders between the shopper's purchases of it
    "overdue",  # (since_last + 1) / mean_gap: above 1, it is due
    "item_orders",  # the share of all orders holding it
    "item_buyers",  # the share of shoppers who bought it
    "item_reorder",  # the share of its buyers who bought it again
    "orders",  # the shopper's order count
    "basket_mean",  # the shopper's mean basket size
    "basket_last",  # the size of the shopper's latest basket
    "repeat_ratio",  # the share of the shopper's later baskets bought before
)


@dataclass(frozen=True, slots=True)
class Candidates:
    """`profiles[g]` has rows `offsets[g]:offsets[g + 1]` of `skus` and `features`."""

    profiles: list[str]
    offsets: np.ndarray
    skus: list[str]
    features: np.ndarray  # float32, one column per FEATURES

    def group(self, g: int) -> slice:
        return slice(int(self.offsets[g]), int(self.offsets[g + 1]))


@dataclass(frozen=True, slots=True)
class _Item:
    orders: np.ndarray  # per SKU of the space: how many orders held it
    buyers: np.ndarray
    reorder: np.ndarray


def _item_stats(histories: Sequence[History], sku_index: Mapping[str, int]) -> _Item:
    orders = np.zeros(len(sku_index))
    buyers = np.zeros(len(sku_index))
    again = np.zeros(len(sku_index))
    for history in histories:
        times: dict[int, int] = {}
        for basket in history:
            for sku in set(basket):
                col = sku_index[sku]
                times[col] = times.get(col, 0) + 1
        for col, n in times.items():
            orders[col] += n
            buyers[col] += 1
            again[col] += n > 1
    total = max(1, sum(len(h) for h in histories))
    reorder = np.divide(again, buyers, out=np.full(len(buyers), NAN), where=buyers > 0)
    return _Item(orders / total, buyers / max(1, len(histories)), reorder)


def _profile_rows(history: History, cols: Sequence[str]) -> np.ndarray:
    """The shopper's own columns (times … repeat_ratio) for the SKUs `cols`."""
    seen: dict[str, list[int]] = {}  # SKU → [times, first, last]
    repeats: list[float] = []
    for n, basket in enumerate(history):
        items = set(basket)
        if n:
            repeats.append(sum(s in seen for s in items) / len(items))
        for sku in items:
            if (t := seen.get(sku)) is None:
                seen[sku] = [1, n, n]
            else:
                t[0] += 1
                t[2] = n
    count = len(history)
    habits = [
        count,
        sum(len(set(b)) for b in history) / count,
        len(set(history[-1])),
        float(np.mean(repeats)) if repeats else NAN,
    ]
    rows = np.full((len(cols), 6 + len(habits)), NAN)
    for r, sku in enumerate(cols):
        if (t := seen.get(sku)) is None:
            rows[r, :2] = 0.0
        else:
            times, first, last = t
            gap = (last - first) / (times - 1) if times > 1 else NAN
            since = count - 1 - last
            rows[r, :6] = [times, times / count, since, count - 1 - first, gap, (since + 1) / gap]
        rows[r, 6:] = habits
    return rows


def _values(matrix: csr_matrix, row: int, cols: np.ndarray) -> np.ndarray:
    """Row `row` of a CSR matrix with sorted indices at the columns `cols`."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    idx = indices[indptr[row] : indptr[row + 1]]
    if not len(idx):
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(idx, cols), len(idx) - 1)
    return np.where(idx[pos] == cols, data[indptr[row] : indptr[row + 1]][pos], 0.0)


def candidates(
    histories: Mapping[str, History],
    *,
    depth: int,
    popular: int,
    tuning: Tuning = Tuning(),
    fill: Mapping[str, Sequence[tuple[str, float]]] | None = None,
) -> Candidates:
    """Every profile with an order, with its `depth` best next-basket SKUs and the
    `popular` SKUs most orders hold (the ones it has not already), in SKU order."""
    ordered = {p: [b for b in h if b] for p, h in histories.items()}
    ordered = {p: h for p, h in ordered.items() if h}
    # The fill of a profile without orders is left out with it.
    fill = {p: f for p, f in (fill or {}).items() if p in ordered}
    space, blocks = space_and_parts(ordered, tuning=tuning, fill=fill)
    sku_index = {s: n for n, s in enumerate(space.skus)}
    item = _item_stats([ordered[p] for p in space.profiles], sku_index)
    # Ties to the lower SKU, so that the set does not depend on the sort's whims.
    top = np.lexsort((np.arange(len(space.skus)), -item.orders))[:popular]
    profiles: list[str] = []
    sizes: list[int] = []
    skus: list[str] = []
    chunks: list[np.ndarray] = []
    for parts in blocks:
        for matrix in (parts.own, parts.neighbours, parts.fill):
            matrix.sort_indices()
        blend = parts.blend(tuning)
        for row in range(parts.stop - parts.start):
            profile = space.profiles[parts.start + row]
            lo, hi = blend.indptr[row], blend.indptr[row + 1]
            values, cols = blend.data[lo:hi], blend.indices[lo:hi]
            order = np.lexsort((cols, -space.reach[cols], -values))
            rank = np.empty(len(order))
            rank[order] = np.arange(len(order))
            chosen = np.union1d(cols[order[:depth]], top)
            blend_at = _values(blend, row, chosen)
            # A popular SKU outside the list is placed after all of the list.
            rank_at = np.full(len(chosen), float(len(order)))
            where = np.searchsorted(cols, chosen)
            inside = (where < len(cols)) & (cols[np.minimum(where, len(cols) - 1)] == chosen)
            rank_at[inside] = rank[where[inside]]
            names = [space.skus[c] for c in chosen]
            own = _profile_rows(ordered[profile], names)
            features = np.column_stack([
                blend_at,
                _values(parts.own, row, chosen),
                _values(parts.neighbours, row, chosen),
                _values(parts.fill, row, chosen),
                rank_at,
                own[:, :6],
                item.orders[chosen],
                item.buyers[chosen],
                item.reorder[chosen],
                own[:, 6:],
            ])  # fmt: skip
            profiles.append(profile)
            sizes.append(len(chosen))
            skus.extend(names)
            chunks.append(features)
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    matrix = np.vstack(chunks) if chunks else np.zeros((0, len(FEATURES)))
    return Candidates(profiles, offsets, skus, matrix.astype(np.float32))
