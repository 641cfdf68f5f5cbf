"""The promotion engine's rules: exact, never negative, deterministic, one result everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from souk.money import round_minor
from souk.promotions.engine import evaluate
from souk.promotions.models import (
    Action,
    ActionType,
    CartLine,
    Conditions,
    Context,
    Promotion,
    Stacking,
    Target,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _ctx(**kw: object) -> Context:
    base: dict[str, object] = {"channel": "web", "currency": "EUR", "now": NOW}
    base.update(kw)
    return Context(**base)  # type: ignore[arg-type]


def _percent(pid: str, value: str, target: Target = Target.LINES, **kw: object) -> Promotion:
    return Promotion(
        id=pid,
        name=pid,
        actions=(Action(ActionType.PERCENT_OFF, target, percent=Decimal(value)),),
        **kw,  # type: ignore[arg-type]
    )


LINES = [
    CartLine("l1", "COFFEE-1", 2, 1299, "coffee"),
    CartLine("l2", "MUG-1", 1, 850, "kitchen"),
    CartLine("l3", "TEA-1", 3, 333, "tea"),
]


def test_a_line_percentage_is_rounded_once_per_line_not_per_unit() -> None:
    line = CartLine("l1", "A", 7, 105)
    result = evaluate([_percent("p", "10")], [line], _ctx())
    # 10 % of 7 × 1.05 = 0.735 → 0.74 once; per unit it would be 7 × 0.11 = 0.77.
    assert result.line_discount("l1") == 74


def test_an_order_percentage_takes_its_share_of_what_a_sale_left() -> None:
    sale = _percent("sale", "50", priority=10)
    order = _percent("order", "10", Target.ORDER)
    result = evaluate([order, sale], [CartLine("l1", "A", 1, 1000)], _ctx())
    # 50 % off 10.00 leaves 5.00; 10 % of the order is 0.50, not 1.00.
    assert [a.amount for a in result.lines["l1"]] == [500, 50]


def test_an_order_discount_is_spread_exactly_over_the_lines() -> None:
    promotion = Promotion(
        id="p", name="p", actions=(Action(ActionType.AMOUNT_OFF, Target.ORDER, amount=1000),)
    )
    lines = [CartLine(f"l{i}", f"S{i}", 1, 333) for i in range(3)]
    result = evaluate([promotion], lines, _ctx())
    assert sorted(result.line_discount(x.id) for x in lines) == [333, 333, 333]
    assert result.discount == 999  # capped at what the cart holds


def test_a_hundred_percent_leaves_exactly_zero() -> None:
    result = evaluate([_percent("all", "100")], LINES, _ctx())
    assert all(result.line_discount(x.id) == x.amount for x in LINES)


def test_an_exclusive_promotion_of_higher_priority_applies_alone() -> None:
    exclusive = _percent("vip", "20", priority=5, stacking=Stacking.EXCLUSIVE)
    other = _percent("sale", "10", priority=1)
    result = evaluate([other, exclusive], LINES, _ctx())
    assert result.applied == ["vip"]
    reasons = {v.promotion: v.reason for v in result.verdicts}
    assert "stacking" in (reasons["sale"] or "")


def test_buy_two_get_one_gives_the_cheapest_unit() -> None:
    promotion = Promotion(
        id="b2g1",
        name="b2g1",
        actions=(Action(ActionType.BUY_X_GET_Y, Target.LINES, buy=2, get=1),),
        conditions=Conditions(categories=frozenset({"coffee", "tea"})),
    )
    result = evaluate([promotion], LINES, _ctx())
    # Units by price: 12.99, 12.99, 3.33 | 3.33, 3.33 → one free unit of tea.
    assert result.line_discount("l3") == 333
    assert result.line_discount("l1") == 0
    assert result.line_discount("l2") == 0


def test_free_shipping_never_exceeds_the_charge() -> None:
    promotion = Promotion(
        id="ship", name="ship", actions=(Action(ActionType.FREE_SHIPPING, Target.SHIPPING),)
    )
    assert evaluate([promotion], LINES, _ctx(shipping=490)).shipping_discount == 490
    assert evaluate([promotion], LINES, _ctx(shipping=0)).shipping_discount == 0


def test_conditions_say_why_a_promotion_does_not_apply() -> None:
    promotions = [
        _percent("coupon", "10", coupon_required=True),
        _percent("later", "10", starts_at=NOW + timedelta(days=1)),
        _percent("app", "10", channels=frozenset({"app"})),
        _percent("gold", "10", customer_tiers=frozenset({"gold"})),
        _percent("first", "10", conditions=Conditions(first_order=True)),
        _percent("big", "10", conditions=Conditions(min_subtotal=100_000)),
        _percent("usd", "10", conditions=Conditions(min_subtotal=1, min_subtotal_currency="USD")),
        _percent("many", "10", conditions=Conditions(min_quantity=50)),
        _percent("shoes", "10", conditions=Conditions(categories=frozenset({"shoes"}))),
        _percent("used", "10"),
    ]
    result = evaluate(promotions, LINES, _ctx(exhausted=frozenset({"used"})))
    assert result.applied == []
    assert all(v.reason for v in result.verdicts)
    assert len(result.verdicts) == len(promotions)
    assert result.discount == 0


def test_a_coupon_code_unlocks_its_promotion_and_is_named_on_the_adjustment() -> None:
    promotion = _percent("coupon", "10", coupon_required=True)
    result = evaluate([promotion], LINES, _ctx(codes={"COFFEE10": "coupon"}))
    assert result.applied == ["coupon"]
    assert {a.code for adjustments in result.lines.values() for a in adjustments} == {"COFFEE10"}


# --- properties ------------------------------------------------------------------------

line_st = st.builds(
    CartLine,
    id=st.uuids().map(str),
    sku=st.sampled_from(["A", "B", "C", "D"]),
    quantity=st.integers(1, 99),
    unit_price=st.integers(0, 1_000_000),
    category=st.sampled_from([None, "x", "y"]),
)
action_st = st.one_of(
    st.builds(
        Action,
        type=st.just(ActionType.PERCENT_OFF),
        target=st.sampled_from([Target.LINES, Target.ORDER]),
        percent=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
    ),
    st.builds(
        Action,
        type=st.just(ActionType.AMOUNT_OFF),
        target=st.sampled_from([Target.LINES, Target.ORDER]),
        amount=st.integers(1, 2_000_000),
    ),
    st.builds(
        Action,
        type=st.just(ActionType.FIXED_PRICE),
        target=st.just(Target.LINES),
        amount=st.integers(0, 1_000_000),
    ),
    st.builds(
        Action,
        type=st.just(ActionType.BUY_X_GET_Y),
        target=st.just(Target.LINES),
        buy=st.integers(1, 4),
        get=st.integers(1, 3),
    ),
    st.builds(Action, type=st.just(ActionType.FREE_SHIPPING), target=st.just(Target.SHIPPING)),
)
promotion_st = st.builds(
    Promotion,
    id=st.uuids().map(str),
    name=st.sampled_from(["a", "b", "c"]),
    actions=st.lists(action_st, min_size=1, max_size=3).map(tuple),
    conditions=st.builds(
        Conditions,
        skus=st.frozensets(st.sampled_from(["A", "B", "C"]), max_size=2),
        categories=st.frozensets(st.sampled_from(["x", "y"]), max_size=1),
    ),
    priority=st.integers(0, 3),
    stacking=st.sampled_from(list(Stacking)),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_st, min_size=1, max_size=10, unique_by=lambda x: x.id),
    promotions=st.lists(promotion_st, max_size=8, unique_by=lambda p: p.id),
    shipping=st.integers(0, 5_000),
)
def test_discounts_are_exact_and_never_make_anything_negative(
    lines: list[CartLine], promotions: list[Promotion], shipping: int
) -> None:
    result = evaluate(promotions, lines, _ctx(shipping=shipping))
    for line in lines:
        adjustments = result.lines[line.id]
        assert all(a.amount > 0 for a in adjustments)
        assert 0 <= result.line_discount(line.id) <= line.amount
    assert result.discount == sum(result.line_discount(x.id) for x in lines)
    assert 0 <= result.shipping_discount <= shipping
    applied = set(result.applied)
    for adjustments in result.lines.values():
        assert {a.promotion for a in adjustments} <= applied


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(line_st, min_size=1, max_size=8, unique_by=lambda x: x.id),
    promotions=st.lists(promotion_st, min_size=2, max_size=6, unique_by=lambda p: p.id),
    seed=st.integers(0, 2**32),
)
def test_the_result_does_not_depend_on_the_order_rules_were_entered_in(
    lines: list[CartLine], promotions: list[Promotion], seed: int
) -> None:
    shuffled = promotions[:]
    random.Random(seed).shuffle(shuffled)
    assert evaluate(promotions, lines, _ctx(shipping=300)) == evaluate(
        shuffled, lines, _ctx(shipping=300)
    )


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(line_st, min_size=1, max_size=8, unique_by=lambda x: x.id),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
)
def test_an_order_percentage_adds_up_to_the_rounded_whole(
    lines: list[CartLine], percent: Decimal
) -> None:
    result = evaluate([_percent("p", str(percent), Target.ORDER)], lines, _ctx())
    whole = sum(x.amount for x in lines)
    assert result.discount == min(whole, round_minor(Decimal(whole) * percent / 100))


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(line_st, min_size=1, max_size=8, unique_by=lambda x: x.id),
    percent=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4),
)
def test_a_line_percentage_is_each_line_times_the_percent_rounded_half_up(
    lines: list[CartLine], percent: Decimal
) -> None:
    result = evaluate([_percent("p", str(percent), Target.LINES)], lines, _ctx())
    for line in lines:
        expected = round_minor(Decimal(line.amount) * percent / 100)
        assert result.line_discount(line.id) == min(line.amount, expected)
