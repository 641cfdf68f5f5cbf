"""Next-basket lists: recency decay over a profile's orders, neighbours' products, the fill
list, ties, empty histories and bad tuning — and, for any histories, short lists without
duplicates that do not depend on the order profiles come in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.recommendations.als import Interaction
from souk.recommendations.next_basket import History, Tuning, next_basket_lists
from souk.recommendations.personal import personal_lists

ALONE = Tuning(own_weight=1.0)  # the profile's own orders only


def _skus(lists: dict[str, list[tuple[str, float]]], profile: str) -> list[str]:
    return [sku for sku, _ in lists[profile]]


def test_the_decay_decides_between_often_long_ago_and_once_lately() -> None:
    history = {"p": [{"OATS"}, {"OATS"}, {"TEA"}]}  # oldest first
    slow = next_basket_lists(history, per_profile=5, tuning=Tuning(decay=0.8, own_weight=1.0))
    fast = next_basket_lists(history, per_profile=5, tuning=Tuning(decay=0.3, own_weight=1.0))
    # Each score is the decayed share of the orders holding the SKU.
    total = 0.8**2 + 0.8 + 1
    assert slow["p"] == [
        ("OATS", pytest.approx((0.8**2 + 0.8) / total)),
        ("TEA", pytest.approx(1 / total)),
    ]
    assert _skus(fast, "p") == ["TEA", "OATS"]


def test_neighbours_bring_what_the_shopper_never_bought() -> None:
    histories: dict[str, History] = {
        "anne": [{"MILK", "EGGS"}],
        "bob": [{"MILK", "EGGS", "BUTTER"}],
        "cleo": [{"NAILS"}],
    }
    lists = next_basket_lists(
        histories, per_profile=5, tuning=Tuning(neighbours=1, own_weight=0.75)
    )
    scores = dict(lists["anne"])
    assert set(scores) == {"MILK", "EGGS", "BUTTER"}  # bob is her neighbour, not cleo
    assert scores["BUTTER"] == pytest.approx(0.25)  # the neighbours' quarter of bob's 1
    assert scores["MILK"] == pytest.approx(1.0) and _skus(lists, "anne")[-1] == "BUTTER"
    alone = next_basket_lists(histories, per_profile=5, tuning=ALONE)
    assert set(_skus(alone, "anne")) == {"MILK", "EGGS"}


def test_equal_scores_go_to_the_sku_more_profiles_bought_then_the_lower_sku() -> None:
    histories: dict[str, History] = {"p": [{"B", "C", "A"}], "q": [{"C"}]}
    assert _skus(next_basket_lists(histories, per_profile=3, tuning=ALONE), "p") == [
        "C", "A", "B",
    ]  # fmt: skip


def test_the_fill_list_breaks_ties_and_serves_profiles_without_orders() -> None:
    histories: dict[str, History] = {"p": [{"A", "B"}], "viewer": []}
    fill = {"p": [("B", 2.0), ("Z", 1.0)], "viewer": [("Y", 4.0), ("X", 1.0)]}
    lists = next_basket_lists(histories, per_profile=5, tuning=ALONE, fill=fill)
    assert _skus(lists, "p") == ["B", "A", "Z"]  # the fill only after what was bought
    assert lists["viewer"] == [
        ("Y", pytest.approx(ALONE.fill_weight)),
        ("X", pytest.approx(ALONE.fill_weight / 4)),
    ]


def test_a_profile_with_views_only_gets_its_fill_list_not_strangers_products() -> None:
    histories: dict[str, History] = {"anne": [{"MILK"}], "bob": [{"NAILS"}], "viewer": []}
    lists = next_basket_lists(histories, per_profile=5, fill={"viewer": [("TEA", 1.0)]})
    assert _skus(lists, "viewer") == ["TEA"]  # sharing nothing, nobody is its neighbour
    assert "viewer" not in next_basket_lists(
        histories, per_profile=5, fill={"viewer": [("TEA", -1.0)]}
    )


def test_profiles_without_orders_or_fill_get_no_list_and_one_order_is_enough() -> None:
    assert next_basket_lists({}, per_profile=3) == {}
    lists = next_basket_lists(
        {"new": [], "empty": [set()], "once": [{"TEA"}]}, per_profile=3, tuning=ALONE
    )
    assert lists == {"once": [("TEA", pytest.approx(1.0))]}


def test_the_same_histories_give_the_same_lists() -> None:
    histories: dict[str, History] = {
        f"p{n}": [{f"S{(n * k) % 7}", f"S{k}"} for k in range(n % 4 + 1)] for n in range(30)
    }
    assert next_basket_lists(histories, per_profile=4) == next_basket_lists(
        histories, per_profile=4
    )


def test_scores_are_the_same_to_the_last_bit_in_every_process() -> None:
    # Sets iterate in another order in each process (PYTHONHASHSEED); were the duplicates
    # of a SKU summed in that order, the last bit of a score, and so the ranker's view of
    # ties, would change from one refresh to the next.
    script = (
        "import json, random;"
        "from souk.recommendations.next_basket import next_basket_lists;"
        "rng = random.Random(3);"
        "h = {f'p{n}': [{f'S{rng.randrange(60)}' for _ in range(rng.randrange(1, 30))}"
        " for _ in range(20)] for n in range(10)};"
        "print(json.dumps(next_basket_lists(h, per_profile=60)))"
    )
    answers = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert len(answers) == 1 and len(json.loads(answers.pop())) == 10


@pytest.mark.parametrize(
    "bad",
    [
        {"decay": 0.0},
        {"decay": 1.5},
        {"neighbours": -1},
        {"own_weight": 0.0},
        {"own_weight": 1.2},
        {"fill_weight": 0.0},
    ],
)
def test_a_tuning_out_of_range_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        Tuning(**bad)


def test_a_list_length_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="per_profile"):
        next_basket_lists({"p": [{"A"}]}, per_profile=0)


def test_personal_lists_put_a_repeat_purchase_first_and_serve_a_profile_with_views_only() -> None:
    orders = {
        "anne": [{"COFFEE": 2.0, "CAKE": 1.0}, {"COFFEE": 1.0}],
        "bob": [{"TEA": 1.0, "CAKE": 1.0}],
    }
    views = [Interaction("cleo", "TEA", 0.25), Interaction("cleo", "CAKE", 0.25)]
    lists = personal_lists(orders=orders, views=views, factors=2, per_profile=3)
    assert _skus(lists, "anne")[0] == "COFFEE"
    assert set(lists) == {"anne", "bob", "cleo"} and lists["cleo"]
    assert all(len(items) <= 3 for items in lists.values())


SKUS = st.sampled_from([f"S{n}" for n in range(8)])
HISTORIES = st.dictionaries(
    st.text("abcdef", min_size=1, max_size=3),
    st.lists(st.sets(SKUS, max_size=4), max_size=5),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(
    histories=HISTORIES,
    per_profile=st.integers(1, 6),
    tuning=st.builds(
        Tuning,
        decay=st.floats(0.1, 1.0),
        neighbours=st.integers(0, 4),
        own_weight=st.floats(0.1, 1.0),
    ),
)
def test_lists_are_short_distinct_ranked_and_blind_to_the_order_of_profiles(
    histories: dict[str, list[set[str]]], per_profile: int, tuning: Tuning
) -> None:
    lists = next_basket_lists(histories, per_profile=per_profile, tuning=tuning)
    reversed_ = next_basket_lists(
        dict(reversed(list(histories.items()))), per_profile=per_profile, tuning=tuning
    )
    assert lists == reversed_
    assert set(lists) == {p for p, orders in histories.items() if any(orders)}
    bought = {s for orders in histories.values() for o in orders for s in o}
    for items in lists.values():
        skus = [s for s, _ in items]
        scores = [v for _, v in items]
        assert 1 <= len(items) <= per_profile and len(set(skus)) == len(skus)
        assert set(skus) <= bought
        assert scores == sorted(scores, reverse=True) and all(v > 0 for v in scores)
