"""Money arithmetic: currency digits, the rounding rule, tax round trips, allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.money import (
    Money,
    allocate,
    minor_digits,
    percent_of,
    round_minor,
    round_ratio,
    tax_included_in,
    tax_on,
)
from souk.pricing.models import format_rate, taxed_price

amounts = st.integers(min_value=0, max_value=10**10)
rates = st.decimals(min_value=0, max_value=Decimal("0.99999"), places=5)


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("USD", 2), ("BHD", 3)])
def test_minor_digits_come_from_cldr(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


def test_formatting_respects_the_minor_unit() -> None:
    assert Money(1999, "JPY").format("ja") == "￥1,999"
    assert Money(1999, "EUR").format("fr-FR") == "19,99\xa0€"
    assert Money(1999, "BHD").format("en") == "BHD1.999"
    assert Money(1999, "USD").format("en-US") == "$19.99"


def test_rounding_is_half_up_once() -> None:
    # 20% VAT inside €19.99: 19.99 − 19.99/1.2 = 3.3316… → 3.33
    assert tax_included_in(1999, Decimal("0.20")) == 333
    # 10% on ¥1,995 is ¥199.5 → ¥200 (half up, not to even)
    assert tax_on(1995, Decimal("0.10")) == 200
    # 10% on 0.125 BHD (125 fils) is 12.5 fils → 13
    assert tax_on(125, Decimal("0.10")) == 13
    assert percent_of(1005, Decimal(50)) == 503


def test_taxed_price_in_each_mode() -> None:
    gross = taxed_price(1999, Decimal("0.20"), prices_include_tax=True)
    assert (gross.net, gross.tax, gross.gross, gross.shown) == (1666, 333, 1999, 1999)
    net = taxed_price(1999, Decimal("0.08875"), prices_include_tax=False)
    assert (net.net, net.tax, net.gross, net.shown) == (1999, 177, 2176, 1999)


@given(amounts, rates, st.booleans())
def test_net_plus_tax_is_gross(amount: int, rate: Decimal, inclusive: bool) -> None:
    price = taxed_price(amount, rate, prices_include_tax=inclusive)
    assert price.net + price.tax == price.gross
    assert price.tax >= 0


@given(amounts, rates)
def test_exclusive_to_inclusive_round_trip_is_exact(net: int, rate: Decimal) -> None:
    # A net price shown gross, read back as gross, gives the same net and tax.
    gross = taxed_price(net, rate, prices_include_tax=False).gross
    back = taxed_price(gross, rate, prices_include_tax=True)
    assert (back.net, back.tax) == (net, tax_on(net, rate))


@given(amounts, rates)
def test_inclusive_to_exclusive_round_trip_within_one_minor_unit(gross: int, rate: Decimal) -> None:
    net = taxed_price(gross, rate, prices_include_tax=True).net
    assert abs(taxed_price(net, rate, prices_include_tax=False).gross - gross) <= 1


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20),
)
def test_allocate_always_adds_up(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=20),
)
def test_allocate_parts_are_within_one_of_exact(total: int, weights: list[int]) -> None:
    whole = sum(weights)
    for part, weight in zip(allocate(total, weights), weights, strict=True):
        assert abs(Decimal(part) - Decimal(total) * weight / whole) < 1


def test_allocate_example() -> None:
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]
    assert allocate(5, [0, 0]) == [5, 0]


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("0.2", "0.20"),
        ("0.20000", "0.20"),
        ("0.055", "0.055"),
        ("0", "0.00"),
        ("0.08875", "0.08875"),
    ],
)
def test_rates_print_with_at_least_two_places(rate: str, text: str) -> None:
    assert format_rate(Decimal(rate)) == text


@given(
    st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=1, max_value=10**9)
)
def test_round_ratio_rounds_exactly_as_round_minor(numerator: int, denominator: int) -> None:
    # Decimal is exact at these sizes (28 digits), so round_minor is the oracle.
    exact = Decimal(numerator) / Decimal(denominator)
    assert round_ratio(numerator, denominator) == round_minor(exact)


def test_round_ratio_rounds_halves_away_from_zero() -> None:
    assert [round_ratio(n, 2) for n in (5, 3, 1, -1, -3, -5)] == [3, 2, 1, -1, -2, -3]
    assert round_ratio(1995 * 10, 100) == 200  # 10 % of ¥1,995
    with pytest.raises(ValueError, match="positive"):
        round_ratio(1, 0)
