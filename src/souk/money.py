"""Money as integer minor units of an ISO 4217 currency.

Rounding rule (documented in docs/money.md): every derived amount — tax, a percentage, a
share of a discount — is computed exactly with `Decimal` and rounded once to the currency's
minor unit with ROUND_HALF_UP; shares of a whole are distributed by largest remainder so that
they always add up to the whole. No float ever touches an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from souk.errors import ValidationFailed


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in _known_currencies()


def check_currency(code: str, *, field: str = "currency") -> str:
    if not is_currency(code):
        raise ValidationFailed(
            f"Unknown currency {code!r}",
            errors=[{"field": field, "message": "not an ISO 4217 currency code"}],
        )
    return code


@lru_cache(maxsize=512)
def minor_digits(currency: str) -> int:
    """Digits after the decimal point: JPY 0, EUR 2, BHD 3 (from CLDR via Babel)."""
    return int(get_currency_precision(currency))


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_ratio(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded as `round_minor` rounds (half away from zero),
    exactly and in integers: a promotion's percentage of every line of every cart read
    costs a Decimal product, division and quantize each otherwise."""
    if denominator <= 0:
        raise ValueError("the denominator must be positive")
    whole = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return whole if numerator >= 0 else -whole


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-minor_digits(self.currency))

    def format(self, locale: str = "en") -> str:
        return str(
            format_currency(self.to_decimal(), self.currency, locale=locale.replace("-", "_"))
        )

    def as_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}


def tax_included_in(gross: int, rate: Decimal) -> int:
    """The tax contained in a tax-inclusive amount: gross − gross / (1 + rate)."""
    return gross - round_minor(Decimal(gross) / (1 + rate))


def tax_on(net: int, rate: Decimal) -> int:
    """The tax added on top of a tax-exclusive amount."""
    return round_minor(Decimal(net) * rate)


def percent_of(amount: int, percent: Decimal) -> int:
    return round_minor(Decimal(amount) * percent / 100)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` so that the parts add up to `total` exactly.

    Largest-remainder method; ties go to the earlier weight, so the result is deterministic.
    """
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    exact = [Decimal(total) * w / whole for w in weights]
    parts = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    remainder = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:remainder]:
        parts[i] += 1
    return parts
