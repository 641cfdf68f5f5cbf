"""Pricing rules that need no database: how a price is shown with or without tax."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from souk.money import tax_included_in, tax_on

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TaxedPrice:
    """A unit price split into net, tax and gross, in minor units: net + tax == gross."""

    net: int
    tax: int
    gross: int
    rate: Decimal
    included: bool

    @property
    def shown(self) -> int:
        """What the channel displays: gross where prices include tax, else net."""
        return self.gross if self.included else self.net


def taxed_price(amount: int, rate: Decimal, *, prices_include_tax: bool) -> TaxedPrice:
    """A stored price read in the channel's mode: tax-inclusive channels (EU shops) store
    gross prices and take the tax out of them; tax-exclusive ones (US) add it on top."""
    if prices_include_tax:
        tax = tax_included_in(amount, rate)
        return TaxedPrice(amount - tax, tax, amount, rate, True)
    tax = tax_on(amount, rate)
    return TaxedPrice(amount, tax, amount + tax, rate, False)


def format_rate(rate: Decimal) -> str:
    """A rate as a decimal string with at least two places: 0.2 → "0.20", 0.055 → "0.055"."""
    normalized = rate.normalize()
    if normalized == normalized.quantize(TWO_PLACES):
        return str(normalized.quantize(TWO_PLACES))
    return format(normalized, "f")


def scope_of(country: str, region: str | None, category: str | None) -> str:
    """The unique key of a tax rate: "FR//books", "US/NY/"."""
    return f"{country}/{region or ''}/{category or ''}"


@dataclass(frozen=True, slots=True)
class SellingChannel:
    code: str
    currencies: tuple[str, ...]


def channel_prices(
    currency: str,
    channels: list[SellingChannel],
    overrides: dict[str, int],
    base: int | None,
) -> list[tuple[str, int, str]]:
    """(channel, amount, source) for every channel that sells in `currency` and has a price
    there: its override, else the base price. One price everywhere means one amount here."""
    found = []
    for channel in channels:
        if currency not in channel.currencies:
            continue
        if channel.code in overrides:
            found.append((channel.code, overrides[channel.code], "override"))
        elif base is not None:
            found.append((channel.code, base, "base"))
    return found


def is_inconsistent(prices: list[tuple[str, int, str]]) -> bool:
    return len({amount for _, amount, _ in prices}) > 1
