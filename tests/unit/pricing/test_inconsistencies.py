"""One price everywhere: which channel pays what, and when that is an inconsistency."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from souk.pricing.models import SellingChannel, channel_prices, is_inconsistent

WEB = SellingChannel("web", ("EUR", "USD"))
APP = SellingChannel("app", ("EUR",))
US = SellingChannel("us", ("USD",))


def test_override_else_base_in_channels_selling_the_currency() -> None:
    prices = channel_prices("EUR", [APP, US, WEB], {"app": 1799}, 1999)
    assert prices == [("app", 1799, "override"), ("web", 1999, "base")]
    assert is_inconsistent(prices)


def test_an_override_equal_to_the_base_is_consistent() -> None:
    assert not is_inconsistent(channel_prices("EUR", [APP, WEB], {"web": 1999}, 1999))


def test_unpriced_channels_are_not_a_difference() -> None:
    # only the app has a EUR price: there is nothing to differ from
    prices = channel_prices("EUR", [APP, WEB], {"app": 1799}, None)
    assert prices == [("app", 1799, "override")]
    assert not is_inconsistent(prices)


def test_overrides_in_channels_not_selling_the_currency_are_ignored() -> None:
    assert channel_prices("USD", [APP, US], {"app": 5}, 2000) == [("us", 2000, "base")]


@given(
    st.integers(min_value=0, max_value=10**6),
    st.dictionaries(st.sampled_from(["web", "app", "us"]), st.integers(0, 10**6)),
)
def test_inconsistent_exactly_when_two_channels_pay_differently(
    base: int, overrides: dict[str, int]
) -> None:
    prices = channel_prices("EUR", [APP, US, WEB], overrides, base)
    paid = {"app": overrides.get("app", base), "web": overrides.get("web", base)}
    assert {c: a for c, a, _ in prices} == paid
    assert is_inconsistent(prices) == (paid["app"] != paid["web"])
