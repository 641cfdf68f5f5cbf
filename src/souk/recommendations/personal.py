"""Each profile's personal list, the one function `souk recs refresh` and the benchmark
(benchmarks/recs.py) both call. Candidates come from next-basket scores over the profile's
own orders and its neighbours' (`next_basket`), with ALS over purchases and views (`als`)
as a fill, plus the SKUs most orders hold; a ranker learnt from the shop's own past
(`ranker`) orders them. A profile with views only gets its ALS list, and a shop with too
few repeat shoppers to learn from gets the next-basket order."""

from __future__ import annotations

from collections.abc import Iterable, KeysView, Mapping, Sequence
from itertools import chain

from souk.recommendations.als import Interaction, train_and_recommend
from souk.recommendations.candidates import Candidates, candidates
from souk.recommendations.next_basket import Tuning, next_basket_lists
from souk.recommendations.ranker import Example, Ranking, train

Order = Mapping[str, float]  # SKU → units


def _als(
    orders: Mapping[str, Sequence[Order]], views: Sequence[Interaction], factors: int, n: int
) -> dict[str, list[tuple[str, float]]]:
    bought = (
        Interaction(profile, sku, float(units))
        for profile, history in orders.items()
        for order in history
        for sku, units in order.items()
    )
    return train_and_recommend(chain(bought, views), factors=factors, per_profile=n)


def _histories(orders: Mapping[str, Sequence[Order]]) -> dict[str, list[KeysView[str]]]:
    return {p: [o.keys() for o in h] for p, h in orders.items()}


def examples(
    *,
    orders: Mapping[str, Sequence[Order]],
    views: Sequence[Interaction] = (),
    factors: int,
    tuning: Tuning = Tuning(),
    ranking: Ranking = Ranking(),
) -> list[Example]:
    """The ranker's training examples: each profile's history cut before each of its last
    `ranking.cuts` orders, candidates from the orders before the cut (ALS refitted on those
    alone, so that no example's features have seen its label)."""
    found = []
    for cut in range(1, ranking.cuts + 1):
        past = {p: h[:-cut] for p, h in orders.items() if len(h) > cut}
        if not past:
            break
        als = _als(past, views, factors, ranking.depth)
        cands = candidates(
            _histories(past), depth=ranking.depth, popular=ranking.popular, tuning=tuning,
            fill=als,
        )  # fmt: skip
        found.append(Example(cands, {p: set(orders[p][-cut]) for p in past}))
    return found


def ranked_candidates(
    *,
    orders: Mapping[str, Sequence[Order]],
    views: Sequence[Interaction] = (),
    factors: int,
    per_profile: int,
    tuning: Tuning = Tuning(),
    ranking: Ranking = Ranking(),
) -> tuple[Candidates, dict[str, list[tuple[str, float]]]]:
    """The candidates of the whole histories, for the ranker to order, and the ALS lists."""
    als = _als(orders, views, factors, max(per_profile, ranking.depth))
    found = candidates(
        _histories(orders), depth=max(per_profile, ranking.depth), popular=ranking.popular,
        tuning=tuning, fill=als,
    )  # fmt: skip
    return found, als


def personal_lists(
    *,
    orders: Mapping[str, Sequence[Order]],
    views: Iterable[Interaction] = (),
    factors: int,
    per_profile: int,
    tuning: Tuning = Tuning(),
    ranking: Ranking = Ranking(),
) -> dict[str, list[tuple[str, float]]]:
    """The top `per_profile` SKUs, best first, of every profile with an order or a view;
    `orders` maps a profile to its orders oldest first."""
    if per_profile < 1:
        raise ValueError(f"per_profile must be >= 1, not {per_profile}")
    views = list(views)
    orders = {p: [o for o in h if o] for p, h in orders.items()}
    found, als = ranked_candidates(
        orders=orders, views=views, factors=factors, per_profile=per_profile, tuning=tuning,
        ranking=ranking,
    )  # fmt: skip
    ranker = train(
        examples(orders=orders, views=views, factors=factors, tuning=tuning, ranking=ranking),
        ranking,
    )
    if ranker is None:
        return next_basket_lists(
            _histories(orders), per_profile=per_profile, tuning=tuning, fill=als
        )
    # Without orders there is nothing to describe a candidate by: the ALS list as it was.
    viewers = {p: f for p, f in als.items() if not orders.get(p)}
    lists = next_basket_lists({}, per_profile=per_profile, tuning=tuning, fill=viewers)
    return lists | ranker.lists(found, per_profile)
