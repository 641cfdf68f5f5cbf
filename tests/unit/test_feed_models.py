"""GTIN check digits and feed prices, as properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from souk.feeds.models import price_text, titled, valid_gtin
from souk.money import Money


def _check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1)
    )
)
def test_a_gtin_is_kept_exactly_when_its_check_digit_is_right(body: str) -> None:
    good = body + _check_digit(body)
    assert valid_gtin(good) == good
    wrong = body + str((int(_check_digit(body)) + 1) % 10)
    assert valid_gtin(wrong) is None


def test_known_gtins_and_shapes() -> None:
    assert valid_gtin("4006381333931") == "4006381333931"
    assert valid_gtin("96385074") == "96385074"
    assert valid_gtin("036000291452") == "036000291452"
    assert valid_gtin(None) is None
    assert valid_gtin("40063813339") is None  # 11 digits
    assert valid_gtin("400638133393X") is None


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["EUR", "JPY", "BHD"]))
def test_a_price_reads_back_as_the_same_minor_units(amount: int, currency: str) -> None:
    text = price_text(Money(amount, currency))
    number, code = text.split(" ")
    assert code == currency
    digits = {"EUR": 2, "JPY": 0, "BHD": 3}[currency]
    assert Decimal(number).scaleb(digits) == amount
    assert ("." in number) == (digits > 0)


def test_a_variant_title_names_its_options() -> None:
    assert titled("Shirt", {}) == "Shirt"
    assert titled("Shirt", {"size": "M", "colour": "blue"}) == "Shirt (M, blue)"
