"""Where a reservation draws from: the pure planning rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from souk.inventory.planning import Demand, plan_draws

CANDIDATES = ["wh-1", "wh-2", "wh-3"]


def test_one_location_that_covers_the_line_beats_a_split() -> None:
    plan = plan_draws(
        [Demand("A", 4)],
        available={("A", "wh-1"): 3, ("A", "wh-2"): 5},
        candidates=CANDIDATES,
    )
    assert plan.draws == {("A", "wh-2"): 4}


def test_the_channel_order_decides_between_locations_that_cover_it() -> None:
    plan = plan_draws(
        [Demand("A", 2)],
        available={("A", "wh-1"): 3, ("A", "wh-2"): 5},
        candidates=CANDIDATES,
    )
    assert plan.draws == {("A", "wh-1"): 2}


def test_a_line_no_location_covers_is_split_in_order() -> None:
    plan = plan_draws(
        [Demand("A", 7)],
        available={("A", "wh-1"): 3, ("A", "wh-2"): 2, ("A", "wh-3"): 5},
        candidates=CANDIDATES,
    )
    assert plan.draws == {("A", "wh-1"): 3, ("A", "wh-2"): 2, ("A", "wh-3"): 2}


def test_lines_on_one_sku_add_up_before_they_are_checked() -> None:
    plan = plan_draws(
        [Demand("A", 2), Demand("A", 2)], available={("A", "wh-1"): 3}, candidates=CANDIDATES
    )
    assert plan.short == [{"sku": "A", "requested": 4, "available": 3}]


def test_a_named_location_is_drawn_first_and_the_rest_sees_what_is_left() -> None:
    plan = plan_draws(
        [Demand("A", 2), Demand("A", 2, "wh-1")],
        available={("A", "wh-1"): 3, ("A", "wh-2"): 1},
        candidates=CANDIDATES,
    )
    assert plan.draws == {("A", "wh-1"): 3, ("A", "wh-2"): 1}


def test_a_backorder_variant_takes_the_missing_units_at_its_first_location() -> None:
    plan = plan_draws(
        [Demand("A", 5)], available={("A", "wh-2"): 2}, candidates=CANDIDATES, backorder={"A"}
    )
    assert plan.ok
    assert plan.draws == {("A", "wh-2"): 2, ("A", "wh-1"): 3}


def test_nothing_to_draw_from_is_short() -> None:
    plan = plan_draws([Demand("A", 1)], available={}, candidates=[])
    assert plan.short == [{"sku": "A", "requested": 1, "available": 0}]


@given(
    demands=st.lists(
        st.tuples(st.sampled_from("AB"), st.integers(1, 6), st.sampled_from([None, *CANDIDATES])),
        min_size=1,
        max_size=6,
    ),
    stock=st.dictionaries(
        st.tuples(st.sampled_from("AB"), st.sampled_from(CANDIDATES)), st.integers(-2, 8)
    ),
)
def test_a_plan_never_draws_more_than_is_available(
    demands: list[tuple[str, int, str | None]], stock: dict[tuple[str, str], int]
) -> None:
    plan = plan_draws([Demand(*d) for d in demands], available=stock, candidates=CANDIDATES)
    if not plan.ok:
        return
    for key, units in plan.draws.items():
        assert 0 < units <= max(0, stock.get(key, 0))
    for sku in "AB":
        wanted = sum(q for s, q, _ in demands if s == sku)
        assert sum(u for (s, _), u in plan.draws.items() if s == sku) == wanted
