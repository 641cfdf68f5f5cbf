"""Order totals are exact in minor units (invariant 3), whatever the lines."""

from __future__ import annotations

from dataclasses import astuple
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from souk.orders.models import OrderLineInput, compute_totals, line_errors, tax_for

RATES = st.sampled_from(
    [Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("0.2"), Decimal("0.19")]
)


@st.composite
def lines(draw: st.DrawFn) -> OrderLineInput:
    quantity = draw(st.integers(1, 99))
    unit_price = draw(st.integers(0, 10**7))
    discount = draw(st.integers(0, unit_price * quantity))
    rate = draw(RATES)
    inclusive = draw(st.booleans())
    tax = tax_for(unit_price * quantity - discount, rate, inclusive=inclusive)
    return OrderLineInput("SKU", quantity, unit_price, discount, tax, rate)


@given(
    st.lists(lines(), min_size=1, max_size=20),
    st.integers(0, 10**5),
    RATES,
    st.booleans(),
)
def test_total_is_subtotal_minus_discount_plus_shipping_plus_tax(
    order_lines: list[OrderLineInput], shipping: int, shipping_rate: Decimal, inclusive: bool
) -> None:
    shipping_tax = tax_for(shipping, shipping_rate, inclusive=inclusive)
    totals = compute_totals(
        order_lines, shipping=shipping, shipping_tax=shipping_tax, prices_include_tax=inclusive
    )
    assert totals.subtotal == sum(x.unit_price * x.quantity for x in order_lines)
    assert totals.discount == sum(x.discount for x in order_lines)
    assert totals.total == totals.subtotal - totals.discount + totals.shipping + totals.tax
    all_tax = sum(x.tax for x in order_lines) + shipping_tax
    if inclusive:
        assert (totals.tax, totals.tax_included) == (0, all_tax)
        # Tax contained in a price is never more than the price itself.
        assert totals.tax_included <= totals.subtotal - totals.discount + totals.shipping
    else:
        assert (totals.tax, totals.tax_included) == (all_tax, 0)
    assert all(isinstance(v, int) for v in astuple(totals))


def test_jpy_has_no_minor_unit_to_round_into() -> None:
    # ¥1,000 × 3 at 10 % consumption tax, prices including tax: ¥272.7… → ¥273 contained.
    line = OrderLineInput("TEA", 3, 1000, 0, tax_for(3000, Decimal("0.1"), inclusive=True))
    totals = compute_totals([line], shipping=500, shipping_tax=45, prices_include_tax=True)
    assert line.tax == 273
    assert (totals.subtotal, totals.shipping, totals.tax, totals.tax_included, totals.total) == (
        3000,
        500,
        0,
        318,
        3500,
    )


def test_usd_tax_is_added_on_top() -> None:
    line = OrderLineInput("MUG", 2, 1299, 0, tax_for(2598, Decimal("0.08875"), inclusive=False))
    totals = compute_totals([line], shipping=599, shipping_tax=0, prices_include_tax=False)
    assert line.tax == 231  # 2598 × 0.08875 = 230.57… → 231
    assert (totals.tax, totals.tax_included, totals.total) == (231, 0, 2598 + 599 + 231)


def test_bad_lines_are_named() -> None:
    bad = [
        OrderLineInput("A", 0, 100),
        OrderLineInput("B", 1, -1),
        OrderLineInput("C", 1, 100, discount=101),
    ]
    assert line_errors(bad) == [
        (0, "quantity", "must be at least 1"),
        (1, "unit_price", "cannot be negative"),
        (2, "discount", "must be between 0 and the line amount"),
    ]
