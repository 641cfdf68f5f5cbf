"""The learned ranker behind the personal lists: what a shopper always buys comes first,
the labels it learns from never come from the orders the lists are for, the same orders
give the same lists, a shop with too few repeat shoppers keeps the next-basket order, and
bad settings are refused."""

from __future__ import annotations

import random

import pytest

from souk.recommendations.candidates import FEATURES, candidates
from souk.recommendations.next_basket import next_basket_lists
from souk.recommendations.personal import examples, personal_lists
from souk.recommendations.ranker import Ranking, train

Orders = dict[str, list[dict[str, float]]]


def _shop(shoppers: int = 40, orders: int = 6, seed: int = 3) -> Orders:
    """Shopper n always buys the staple STAPLE-{n % 5} and, now and then, a few of a
    shared range of extras."""
    rng = random.Random(seed)
    shop: Orders = {}
    for n in range(shoppers):
        history = []
        for _ in range(orders):
            basket = {f"STAPLE-{n % 5}": 1.0}
            basket.update({f"EXTRA-{rng.randrange(30)}": 1.0 for _ in range(rng.randrange(4))})
            history.append(basket)
        shop[f"p{n:02d}"] = history
    return shop


def test_a_shopper_who_always_buys_a_product_gets_it_first() -> None:
    shop = _shop()
    assert train(examples(orders=shop, factors=4), Ranking()) is not None  # the ranker ranks
    lists = personal_lists(orders=shop, factors=4, per_profile=5)
    assert set(lists) == set(shop)
    for profile, items in lists.items():
        assert items[0][0] == f"STAPLE-{int(profile[1:]) % 5}", (profile, items)
        assert len(items) == 5 and len({s for s, _ in items}) == 5
        scores = [score for _, score in items]
        assert scores == sorted(scores, reverse=True)


def test_the_same_orders_give_the_same_lists() -> None:
    shop = _shop()
    assert personal_lists(orders=shop, factors=4, per_profile=8) == personal_lists(
        orders=shop, factors=4, per_profile=8
    )


def test_training_labels_come_from_orders_the_features_have_not_seen() -> None:
    shop = _shop()
    shop["p00"].append({"NEWCOMER": 1.0, "STAPLE-0": 1.0})  # a SKU no one bought before
    (latest, before, *_) = examples(orders=shop, factors=4, ranking=Ranking(cuts=3))
    assert latest.held["p00"] == {"NEWCOMER", "STAPLE-0"}
    assert before.held["p00"] == set(shop["p00"][-2])
    # The cut before the latest order: NEWCOMER is in none of the orders its features see.
    assert "NEWCOMER" not in latest.candidates.skus
    g = latest.candidates.profiles.index("p00")
    rows = latest.candidates.group(g)
    staple = latest.candidates.skus[rows].index("STAPLE-0")
    features = dict(zip(FEATURES, latest.candidates.features[rows][staple], strict=True))
    assert (features["times"], features["orders"], features["since_last"]) == (6, 6, 0)


def test_candidate_features_describe_the_shoppers_history() -> None:
    history = [{"A", "B"}, {"A"}, {"C"}, {"A", "C"}]  # oldest first
    found = candidates({"p": history, "q": [{"B"}]}, depth=10, popular=0)
    rows = found.group(found.profiles.index("p"))
    by_sku = {
        sku: dict(zip(FEATURES, row, strict=True))
        for sku, row in zip(found.skus[rows], found.features[rows], strict=True)
    }
    a, b = by_sku["A"], by_sku["B"]
    assert (a["times"], a["since_last"], a["since_first"], a["mean_gap"]) == (3, 0, 3, 1.5)
    assert a["share"] == pytest.approx(0.75) and a["overdue"] == pytest.approx(1 / 1.5)
    assert (b["times"], b["since_last"]) == (1, 3) and b["mean_gap"] != b["mean_gap"]  # NaN
    assert b["item_buyers"] == pytest.approx(1.0) and b["item_reorder"] == pytest.approx(0.0)
    assert a["orders"] == 4 and a["basket_last"] == 2 and a["basket_mean"] == pytest.approx(1.5)
    assert a["repeat_ratio"] == pytest.approx((1 + 0 + 1) / 3)


def test_a_shop_with_too_few_repeat_shoppers_keeps_the_next_basket_order() -> None:
    shop = _shop(shoppers=10)  # fewer than Ranking.min_shoppers labelled shoppers
    assert train(examples(orders=shop, factors=4), Ranking()) is None
    lists = personal_lists(orders=shop, factors=4, per_profile=5)
    plain = next_basket_lists({p: [o.keys() for o in h] for p, h in shop.items()}, per_profile=5)
    assert {p: [s for s, _ in items][:1] for p, items in lists.items()} == {
        p: [s for s, _ in items][:1] for p, items in plain.items()
    }


def test_a_shop_without_orders_gets_no_candidates_and_no_lists() -> None:
    assert candidates({"nobody": [], "empty": [set()]}, depth=5, popular=5).profiles == []
    assert personal_lists(orders={}, factors=4, per_profile=5) == {}
    assert personal_lists(orders={"p": [{}]}, factors=4, per_profile=5) == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"depth": 0},
        {"cuts": 0},
        {"trees": 0},
        {"min_shoppers": 0},
        {"popular": -1},
        {"leaves": 1},
        {"learning_rate": 0.0},
        {"objective": "regression"},
    ],
)
def test_ranker_settings_out_of_range_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        Ranking(**bad)  # type: ignore[arg-type]


def test_a_list_length_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="per_profile"):
        personal_lists(orders=_shop(), factors=4, per_profile=0)
