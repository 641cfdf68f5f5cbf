"""Each profile's personal list, the one function `souk recs refresh` and the benchmark
(benchmarks/recs.py) both call: next-basket scores from the profile's own orders and its
neighbours' (`next_basket`), with ALS over purchases and views (`als`) to break ties and to
fill the lists of profiles with few orders or only views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain

from souk.recommendations.als import Interaction, train_and_recommend
from souk.recommendations.next_basket import Tuning, next_basket_lists

Order = Mapping[str, float]  # SKU → units


def personal_lists(
    *,
    orders: Mapping[str, Sequence[Order]],
    views: Iterable[Interaction] = (),
    factors: int,
    per_profile: int,
    tuning: Tuning = Tuning(),
) -> dict[str, list[tuple[str, float]]]:
    """The top `per_profile` SKUs, best first, of every profile with an order or a view;
    `orders` maps a profile to its orders oldest first."""
    bought = (
        Interaction(profile, sku, float(units))
        for profile, history in orders.items()
        for order in history
        for sku, units in order.items()
    )
    als = train_and_recommend(chain(bought, views), factors=factors, per_profile=per_profile)
    return next_basket_lists(
        {profile: [order.keys() for order in history] for profile, history in orders.items()},
        per_profile=per_profile,
        tuning=tuning,
        fill=als,
    )
