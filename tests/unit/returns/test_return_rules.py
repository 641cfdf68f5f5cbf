"""Return rules: windows, non-returnable items, quantities, exact refund shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from souk.returns.models import (
    Condition,
    Inspected,
    Policy,
    RequestedLine,
    ReturnableLine,
    receipt_errors,
    refund_ceiling,
    refusals,
    share,
)

PLACED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(
    window_days=30,
    non_returnable_categories=frozenset({"underwear"}),
    non_returnable_skus=frozenset({"GIFT-CARD"}),
)
LINES = {
    "TEE-M": ReturnableLine("TEE-M", "tops", handed_over=2, already_returned=0),
    "SOCK": ReturnableLine("SOCK", "underwear", handed_over=1, already_returned=0),
    "GIFT-CARD": ReturnableLine("GIFT-CARD", None, handed_over=1, already_returned=0),
    "JEANS": ReturnableLine("JEANS", "bottoms", handed_over=1, already_returned=1),
}


def _refusals(*lines: RequestedLine, days_after: int = 3) -> list[dict[str, str]]:
    return refusals(
        requested=list(lines),
        order_lines=LINES,
        policy=POLICY,
        placed_at=PLACED,
        now=PLACED + timedelta(days=days_after),
    )


def test_a_return_inside_the_window_of_handed_over_units_is_allowed() -> None:
    assert _refusals(RequestedLine("TEE-M", 2)) == []


def test_a_late_return_is_refused_with_the_closing_date() -> None:
    assert _refusals(RequestedLine("TEE-M", 1), days_after=31) == [
        {"field": "body", "message": "the 30-day return window closed on 2026-10-31"}
    ]


def test_every_ineligible_line_is_listed() -> None:
    errors = _refusals(
        RequestedLine("SOCK", 1),
        RequestedLine("GIFT-CARD", 1),
        RequestedLine("JEANS", 1),
        RequestedLine("HAT", 1),
        RequestedLine("TEE-M", 3),
    )
    assert errors == [
        {"field": "body.lines.0.sku", "message": "'SOCK' cannot be returned"},
        {"field": "body.lines.1.sku", "message": "'GIFT-CARD' cannot be returned"},
        {
            "field": "body.lines.2.quantity",
            "message": "only 0 unit(s) of 'JEANS' can be returned (1 handed over, 1 already "
            "on a return)",
        },
        {"field": "body.lines.3.sku", "message": "'HAT' is not in this order"},
        {
            "field": "body.lines.4.quantity",
            "message": "only 2 unit(s) of 'TEE-M' can be returned (2 handed over, 0 already "
            "on a return)",
        },
    ]


def test_the_same_sku_on_two_lines_counts_together() -> None:
    errors = _refusals(RequestedLine("TEE-M", 1), RequestedLine("TEE-M", 2))
    assert [e["field"] for e in errors] == ["body.lines.1.quantity"]


def test_receipt_cannot_count_more_than_announced_or_other_skus() -> None:
    errors = receipt_errors(
        expected={"TEE-M": 2},
        received=[
            Inspected("TEE-M", 1, Condition.RESELLABLE),
            Inspected("TEE-M", 2, Condition.DAMAGED),
            Inspected("HAT", 1, Condition.RESELLABLE),
        ],
    )
    assert errors == [
        {"field": "body.lines.1.quantity", "message": "the return announced 2 unit(s) of 'TEE-M'"},
        {"field": "body.lines.2.sku", "message": "'HAT' is not on this return"},
    ]


def test_refund_ceiling_never_negative() -> None:
    assert refund_ceiling(value=1000, refunded=400) == 600
    assert refund_ceiling(value=1000, refunded=1200) == 0


def test_share_splits_a_line_exactly() -> None:
    # 3 units for 1000: 334 + 333 + 333, whatever the order they come back in.
    assert share(1000, 3, 1) == 334
    assert share(1000, 3, 2, skip=1) == 666
    assert share(1000, 3, 0) == 0


@given(
    amount=st.integers(0, 10**9),
    quantity=st.integers(1, 50),
    batches=st.lists(st.integers(1, 50), min_size=1, max_size=10),
)
def test_returning_every_unit_in_any_batches_gives_back_exactly_the_amount(
    amount: int, quantity: int, batches: list[int]
) -> None:
    returned = refunded = 0
    for batch in batches:
        units = min(batch, quantity - returned)
        refunded += share(amount, quantity, units, skip=returned)
        returned += units
    refunded += share(amount, quantity, quantity - returned, skip=returned)
    assert refunded == amount
