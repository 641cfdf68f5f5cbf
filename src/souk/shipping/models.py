"""Choosing a delivery rate: pure rules, no persistence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShippingRate:
    code: str
    name: str
    countries: tuple[str, ...]
    prices: dict[str, int]
    min_weight_g: int | None
    max_weight_g: int | None
    channels: tuple[str, ...] | None

    def applies(self, *, country: str, weight_g: int, currency: str, channel: str) -> bool:
        """Both weight bounds are inclusive: a 1,000 g parcel fits `max_weight_g: 1000`."""
        return (
            country in self.countries
            and currency in self.prices
            and (self.channels is None or channel in self.channels)
            and (self.min_weight_g is None or weight_g >= self.min_weight_g)
            and (self.max_weight_g is None or weight_g <= self.max_weight_g)
        )


@dataclass(frozen=True, slots=True)
class ShippingQuote:
    rate_code: str
    name: str
    amount: int
    currency: str


def best_quote(
    rates: Iterable[ShippingRate], *, country: str, weight_g: int, currency: str, channel: str
) -> ShippingQuote | None:
    """The cheapest rate that applies (ties to the smaller code, so the choice is stable)."""
    matching = [
        r
        for r in rates
        if r.applies(country=country, weight_g=weight_g, currency=currency, channel=channel)
    ]
    if not matching:
        return None
    best = min(matching, key=lambda r: (r.prices[currency], r.code))
    return ShippingQuote(best.code, best.name, best.prices[currency], currency)
