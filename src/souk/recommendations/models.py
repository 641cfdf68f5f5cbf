"""Recommendation rules — pure Python, no database, no HTTP.

Item-to-item scores are the cosine of co-occurrence (Linden, Smith & York, "Amazon.com
recommendations: item-to-item collaborative filtering", 2003): how many baskets held both
SKUs, divided by the geometric mean of how many held each, so a best-seller does not
become everyone's neighbour. Counts are kept raw, so new baskets only add to them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

# A basket of hundreds of SKUs (a store restocking through the web shop) says little about
# what goes together and costs quadratic pairs: only its first MAX_BASKET distinct SKUs count.
MAX_BASKET = 50


class Kind(StrEnum):
    BOUGHT = "bought"
    VIEWED = "viewed"


@dataclass(frozen=True, slots=True)
class Scored:
    sku: str
    score: float
    why: str


def pair_counts(groups: Iterable[Iterable[str]]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """Both directions of every pair of distinct SKUs in each group, and each SKU's groups."""
    pairs: Counter[tuple[str, str]] = Counter()
    items: Counter[str] = Counter()
    for group in groups:
        skus = sorted(set(group))[:MAX_BASKET]
        items.update(skus)
        for a, b in combinations(skus, 2):
            pairs[(a, b)] += 1
            pairs[(b, a)] += 1
    return pairs, items


def new_pairs(new: set[str], old: set[str]) -> Iterable[tuple[str, str]]:
    """The pairs a group gains when `new` SKUs join the `old` ones already counted."""
    for a in new:
        for b in old | new:
            if a != b and not (b in new and b < a):
                yield a, b


def cosine(both: int, a: int, b: int) -> float:
    return both / math.sqrt(a * b) if a and b else 0.0


class Reason(StrEnum):
    """Why an item is on a profile's personal list, as stored by the refresh."""

    BOUGHT_BEFORE = "bought_before"
    SHOPPERS_LIKE_YOU = "shoppers_like_you"


WHY_PERSONAL = {
    Reason.BOUGHT_BEFORE: "you bought it before",
    Reason.SHOPPERS_LIKE_YOU: "people who shop like you bought it",
}


def why_together(kind: Kind, sku: str, both: int) -> str:
    verb = "bought" if kind is Kind.BOUGHT else "viewed"
    groups = "orders" if kind is Kind.BOUGHT else "browsing days"
    return f"{verb} together with {sku} in {both} {groups}"
