"""Pair counting (whole and incremental), cosine scores and the ALS lists."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from souk.recommendations.als import Interaction, train_and_recommend
from souk.recommendations.models import cosine, new_pairs, pair_counts


def test_pairs_are_counted_both_ways_once_per_basket() -> None:
    pairs, items = pair_counts([["TEE", "CAP", "TEE"], ["TEE", "MUG"], ["CAP"]])
    assert pairs == Counter(
        {("CAP", "TEE"): 1, ("TEE", "CAP"): 1, ("MUG", "TEE"): 1, ("TEE", "MUG"): 1}
    )
    assert items == Counter({"TEE": 2, "CAP": 2, "MUG": 1})
    assert cosine(1, 2, 2) == 0.5 and cosine(0, 0, 3) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    st.sets(st.sampled_from("ABCDEFG"), max_size=5),
    st.sets(st.sampled_from("ABCDEFG"), max_size=5),
)
def test_adding_views_to_a_day_counts_what_counting_the_whole_day_would(
    old: set[str], more: set[str]
) -> None:
    whole, _ = pair_counts([old | more])
    before, _ = pair_counts([old])
    once = list(new_pairs(more - old, old))
    added = Counter(once) + Counter((b, a) for a, b in once)
    assert before + added == whole


def test_als_puts_a_profiles_own_taste_first() -> None:
    # Coffee people and tea people, each buying within their own group
    coffee, tea = ["ESPRESSO", "MOKA", "BEANS"], ["GREEN", "EARL", "CHAI"]
    interactions = [
        Interaction(f"c{n}", coffee[(n + k) % 3], 1.0) for n in range(30) for k in range(2)
    ] + [Interaction(f"t{n}", tea[(n + k) % 3], 1.0) for n in range(30) for k in range(2)]
    lists = train_and_recommend(interactions, factors=4, per_profile=3)
    assert set(lists) == {f"c{n}" for n in range(30)} | {f"t{n}" for n in range(30)}
    assert {sku for sku, _ in lists["c0"]} == set(coffee)
    assert {sku for sku, _ in lists["t0"]} == set(tea)
    assert train_and_recommend([], factors=4, per_profile=3) == {}
