"""Segment rules and computed traits — pure functions, given/when/then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from souk.cdp.computed import OrderFact, compute
from souk.cdp.rules import EventFact, check, evaluate

NOW = datetime(2026, 6, 1, tzinfo=UTC)
COFFEE = {"all": [{"event": "Order Completed", "where": {"sku": "COFFEE-ORG"},
                   "min_count": 3, "within_days": 90, "none_within_days": 30}]}  # fmt: skip


def _bought(days_ago: int, sku: str = "COFFEE-ORG") -> EventFact:
    return EventFact(
        "Order Completed", NOW - timedelta(days=days_ago), {"products": [{"sku": sku}]}
    )


def test_organic_coffee_three_times_in_90_days_and_not_in_the_last_30() -> None:
    def member(events: list[EventFact]) -> bool:
        return evaluate(COFFEE, traits={}, computed={}, events=events, now=NOW)

    assert member([_bought(40), _bought(50), _bought(80)])
    assert not member([_bought(40), _bought(50)])  # twice only
    assert not member([_bought(10), _bought(50), _bought(80)])  # bought recently
    assert not member([_bought(40), _bought(50), _bought(100)])  # one is too old
    assert not member([_bought(40), _bought(50), _bought(60, sku="TEA")])


def test_trait_and_computed_conditions_with_all_any_not() -> None:
    rule = {"any": [{"trait": "plan", "op": "eq", "value": "gold"},
                    {"not": {"computed": "rfm.r", "op": "lt", "value": 4}}]}  # fmt: skip
    assert check(rule) == []
    assert evaluate(rule, traits={"plan": "gold"}, computed={}, events=[], now=NOW)
    assert evaluate(rule, traits={}, computed={"rfm": {"r": 5}}, events=[], now=NOW)
    assert not evaluate(rule, traits={}, computed={"rfm": {"r": 2}}, events=[], now=NOW)
    # A comparison across types is false, never an error.
    odd = {"computed": "aov", "op": "gt", "value": "x"}
    assert not evaluate(odd, traits={}, computed={"aov": 3}, events=[], now=NOW)


def test_rule_problems_are_listed_by_field() -> None:
    assert check({"all": []}) == [
        {"field": "body.rule.all", "message": "a non-empty list of rules"}
    ]
    assert [e["field"] for e in check({"event": "E", "min_count": 0})] == ["body.rule.min_count"]
    assert check({"shape": 1})[0]["field"] == "body.rule"


def _order(days_ago: float, total: int, channel: str = "web") -> OrderFact:
    return OrderFact(
        channel=channel, source="pos" if channel.startswith("pos") else "web",
        currency="EUR", total=total, placed_at=NOW - timedelta(days=days_ago),
        categories=("coffee",),
    )  # fmt: skip


def test_computed_traits_of_a_regular_buyer() -> None:
    orders = [_order(5, 3000, "pos-paris"), _order(35, 1000), _order(65, 2000, "pos-paris")]
    c = compute(orders, last_seen=NOW - timedelta(days=1), now=NOW)
    assert (c["orders_count"], c["revenue"], c["aov"]) == (3, 6000, 2000)
    assert c["preferred_channel"] == "pos-paris" and c["in_store_orders"] == 2
    assert c["rfm"] == {"r": 5, "f": 3, "m": 3}
    assert c["category_affinities"] == {"coffee": 1.0}
    assert c["last_seen"] == (NOW - timedelta(days=1)).isoformat()
    assert c["churn_risk"] < 0.5 and c["clv_365d"] > 0


def test_a_profile_with_no_orders_has_only_activity() -> None:
    assert compute([], last_seen=None, now=NOW) == {"orders_count": 0, "last_seen": None}


@given(st.lists(st.tuples(st.floats(0, 2000), st.integers(0, 10**7)), min_size=1, max_size=30))
def test_computed_traits_stay_in_their_ranges(raw: list[tuple[float, int]]) -> None:
    c = compute([_order(d, t) for d, t in raw], last_seen=None, now=NOW)
    assert all(1 <= c["rfm"][k] <= 5 for k in "rfm")
    assert 0 <= c["churn_risk"] <= 1
    assert c["clv_365d"] >= 0
    assert c["revenue"] == sum(t for _, t in raw)
