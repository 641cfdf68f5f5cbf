"""What a feed says about one variant, and the formatting rules the feed formats share —
pure, no persistence."""

from __future__ import annotations

from dataclasses import dataclass

from souk.money import Money


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One variant as a marketplace sees it: the channel's price and what it can promise."""

    id: str
    group_id: str
    title: str
    description: str
    link: str
    image_link: str
    price: Money
    available: int
    allow_backorder: bool
    brand: str
    gtin: str | None
    category: str | None

    @property
    def in_stock(self) -> bool:
        return self.available > 0

    @property
    def backorder(self) -> bool:
        return not self.in_stock and self.allow_backorder


@dataclass(frozen=True, slots=True)
class Feed:
    channel: str
    title: str
    link: str
    items: list[FeedItem]


def price_text(price: Money) -> str:
    """`12.99 EUR`, `1999 JPY`: both Google and Meta want the decimal amount in major units
    followed by the ISO 4217 code, with the currency's own number of decimals."""
    return f"{price.to_decimal()} {price.currency}"


def valid_gtin(code: str | None) -> str | None:
    """The code if it is a GTIN-8, -12, -13 or -14 with a correct check digit, else None:
    a wrong GTIN gets a whole item disapproved, a missing one only lowers its ranking."""
    if code is None or not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    # Weights 3,1,3,1… from the digit next to the check digit leftwards (GS1 General Specs).
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return code if (10 - total % 10) % 10 == check else None


def titled(title: str, options: dict[str, str]) -> str:
    """A variant's title names its options, so that sizes of one shirt are told apart."""
    if not options:
        return title
    return f"{title} ({', '.join(str(v) for v in options.values())})"
