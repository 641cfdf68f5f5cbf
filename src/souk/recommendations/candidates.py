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
class _Histories:
    """Every (profile, SKU) pair bought: how many orders held it, the first and the last
    (counted from 1, so that 0 is "never"), as profile × SKU matrices; and per profile its
    habits (order count, mean and latest basket size, repeat ratio)."""

    times: csr_matrix
    first: csr_matrix
    last: csr_matrix
    habits: np.ndarray


def _histories(histories: Sequence[History], sku_index: Mapping[str, int]) -> _Histories:
    rows: list[int] = []
    cols: list[int] = []
    nums: list[int] = []
    for row, history in enumerate(histories):
        for num, basket in enumerate(history):
            for sku in set(basket):
                rows.append(row)
                cols.append(sku_index[sku])
                nums.append(num)
    r, c, n = (np.asarray(v, dtype=np.int64) for v in (rows, cols, nums))
    shape = (len(histories), len(sku_index))
    keys = r * len(sku_index) + c
    order = np.lexsort((n, keys))
    keys, n_sorted = keys[order], n[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    pairs = keys[starts]
    pr, pc = pairs // len(sku_index), pairs % len(sku_index)
    times = csr_matrix(((ends - starts).astype(float), (pr, pc)), shape=shape)
    first = csr_matrix((n_sorted[starts] + 1.0, (pr, pc)), shape=shape)
    last = csr_matrix((n_sorted[ends - 1] + 1.0, (pr, pc)), shape=shape)
    # A line repeats when its order comes after the SKU's first order for that profile.
    first_of_line = np.empty(len(keys), dtype=np.int64)
    first_of_line[order] = np.repeat(n_sorted[starts], ends - starts)
    count = np.array([len(h) for h in histories], dtype=float)
    offset = np.r_[0, np.cumsum(count, dtype=np.int64)]  # each profile's first order's slot
    slot = offset[r] + n
    sizes = np.bincount(slot, minlength=int(offset[-1])).astype(float)
    again = np.bincount(slot, weights=(n > first_of_line), minlength=int(offset[-1]))
    later = np.ones(int(offset[-1]), dtype=bool)
    later[offset[:-1]] = False  # a profile's first order has nothing to repeat
    profile_of = np.repeat(np.arange(len(histories)), count.astype(np.int64))
    share = np.divide(again, sizes, out=np.zeros_like(sizes), where=sizes > 0)
    repeat = np.bincount(profile_of, weights=share * later, minlength=len(histories))
    habits = np.column_stack([
        count,
        np.bincount(profile_of, weights=sizes, minlength=len(histories)) / count,
        sizes[offset[1:] - 1],
        np.divide(repeat, count - 1, out=np.full(len(count), NAN), where=count > 1),
    ])  # fmt: skip
    return _Histories(times, first, last, habits)


def _at(matrix: csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[rows, cols]).ravel()


def _own_columns(h: _Histories, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """times … overdue of each (profile row, SKU column); NaN where it does not apply."""
    times = _at(h.times, rows, cols)
    first, last = _at(h.first, rows, cols), _at(h.last, rows, cols)
    count = h.habits[rows, 0]
    bought = times > 0
    since = np.where(bought, count - last, NAN)
    gap = np.full(len(rows), NAN)
    np.divide(last - first, times - 1, out=gap, where=times > 1)
    return np.column_stack([
        times, times / count, since, np.where(bought, count - first, NAN), gap, (since + 1) / gap,
    ])  # fmt: skip


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
    if not space.profiles:
        return Candidates([], np.zeros(1, dtype=np.int64), [], np.zeros((0, len(FEATURES))))
    sku_index = {s: n for n, s in enumerate(space.skus)}
    own_history = _histories([ordered[p] for p in space.profiles], sku_index)
    held = own_history.times
    orders_of_item = np.asarray(held.sum(axis=0)).ravel()
    buyers = np.asarray((held > 0).sum(axis=0)).ravel().astype(float)
    again = np.asarray((held > 1).sum(axis=0)).ravel().astype(float)
    item_orders = orders_of_item / max(1.0, own_history.habits[:, 0].sum())
    item_buyers = buyers / max(1, len(space.profiles))
    item_reorder = np.divide(again, buyers, out=np.full(len(buyers), NAN), where=buyers > 0)
    # Ties to the lower SKU, so that the set does not depend on the sort's whims.
    top = np.lexsort((np.arange(len(space.skus)), -item_orders))[:popular]
    sizes: list[int] = []
    chunks: list[np.ndarray] = []
    all_cols: list[np.ndarray] = []
    for parts in blocks:
        blend = parts.blend(tuning)
        block_cols: list[np.ndarray] = []
        ranks: list[np.ndarray] = []
        for row in range(parts.stop - parts.start):
            lo, hi = blend.indptr[row], blend.indptr[row + 1]
            values, cols = blend.data[lo:hi], blend.indices[lo:hi]
            order = np.lexsort((cols, -space.reach[cols], -values))
            rank = np.empty(len(order))
            rank[order] = np.arange(len(order))
            chosen = np.union1d(cols[order[:depth]], top)
            # A popular SKU outside the list is placed after all of the list.
            rank_at = np.full(len(chosen), float(len(order)))
            where = np.searchsorted(cols, chosen)
            inside = (where < len(cols)) & (cols[np.minimum(where, len(cols) - 1)] == chosen)
            rank_at[inside] = rank[where[inside]]
            block_cols.append(chosen)
            ranks.append(rank_at)
        counts = [len(c) for c in block_cols]
        local = np.repeat(np.arange(parts.stop - parts.start), counts)
        rows = local + parts.start
        cols = np.concatenate(block_cols) if block_cols else np.zeros(0, dtype=np.int64)
        features = [
            _at(blend, local, cols),
            _at(parts.own, local, cols),
            _at(parts.neighbours, local, cols),
            _at(parts.fill, local, cols),
            np.concatenate(ranks) if ranks else np.zeros(0),
            _own_columns(own_history, rows, cols),
            item_orders[cols],
            item_buyers[cols],
            item_reorder[cols],
            own_history.habits[rows],
        ]
        chunks.append(np.column_stack(features))
        sizes.extend(counts)
        all_cols.append(cols)
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    matrix = np.vstack(chunks) if chunks else np.zeros((0, len(FEATURES)))
    skus = [space.skus[c] for cols in all_cols for c in cols]
    return Candidates(list(space.profiles), offsets, skus, matrix.astype(np.float32))
