"""The loyalty program as values, and the rules that need no database: how many points a
line earns, which tier a member is in, what is left to the next one.

Points are whole numbers. A line earns `floor(net amount × rate × rule factor × tier
multiplier)` points, computed exactly with Decimal and rounded down once per line (a member
never gets a point the program did not promise); shipping never earns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum


class EntryType(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    CLAWBACK = "clawback"
    REFUND = "refund"  # points paid with, given back by a refund or a cancellation


@dataclass(frozen=True, slots=True)
class EarnRule:
    """A factor on the base rate for lines of some channels/categories (`factor` 0 with
    `skus` excludes them); a `bonus` of points per order in some channels."""

    factor: Decimal = Decimal(1)
    channels: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    bonus: int = 0

    def matches(self, channel: str, sku: str, category: str | None) -> bool:
        if self.channels and channel not in self.channels:
            return False
        if self.skus and sku not in self.skus:
            return False
        return not self.categories or category in self.categories


@dataclass(frozen=True, slots=True)
class Tier:
    code: str
    name: str
    threshold_points: int
    window_days: int
    multiplier: Decimal = Decimal(1)
    benefits: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Program:
    currency_rates: dict[str, Decimal]  # points per minor unit of each currency
    earn_rules: tuple[EarnRule, ...] = ()
    tiers: tuple[Tier, ...] = ()  # by threshold, lowest first
    points_expire_after_days: int | None = None
    pending_days: int = 0
    point_value: dict[str, Decimal] = field(default_factory=dict)  # minor units per point

    def tier_for(self, window_points: dict[int, int]) -> Tier | None:
        """The highest tier whose threshold the member reached within the tier's own
        window (`window_points[days]` is what they earned in the last `days`)."""
        reached = None
        for tier in self.tiers:
            if window_points.get(tier.window_days, 0) >= tier.threshold_points:
                reached = tier
        return reached

    def next_tier(self, current: Tier | None) -> Tier | None:
        above = [
            t
            for t in self.tiers
            if current is None or t.threshold_points > current.threshold_points
        ]
        return above[0] if above else None


@dataclass(frozen=True, slots=True)
class EarnLine:
    sku: str
    category: str | None
    net_amount: int  # what the member paid for the line, after discounts, in minor units


def points_for_line(
    program: Program, *, channel: str, currency: str, line: EarnLine, multiplier: Decimal
) -> int:
    rate = program.currency_rates.get(currency)
    if rate is None or line.net_amount <= 0:
        return 0
    factor = Decimal(1)
    for rule in program.earn_rules:
        if rule.bonus == 0 and rule.matches(channel, line.sku, line.category):
            factor *= rule.factor
    exact = Decimal(line.net_amount) * rate * factor * multiplier
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def points_for_order(
    program: Program,
    *,
    channel: str,
    currency: str,
    lines: list[EarnLine],
    tier: Tier | None,
) -> list[int]:
    """Points per line (same order), the channel's bonus added to the first line that
    earns, so that a clawback of the lines returns exactly what they earned."""
    multiplier = tier.multiplier if tier is not None else Decimal(1)
    points = [
        points_for_line(program, channel=channel, currency=currency, line=x, multiplier=multiplier)
        for x in lines
    ]
    bonus = sum(
        r.bonus for r in program.earn_rules if r.bonus and (not r.channels or channel in r.channels)
    )
    if bonus and any(points):
        first = next(i for i, p in enumerate(points) if p)
        points[first] += bonus
    return points


def clawback_for(earned: int, line_quantity: int, returned: int) -> int:
    """The points of `returned` units of a line that earned `earned` for `line_quantity`:
    proportional, rounded up so that returning every unit claws back everything."""
    if line_quantity <= 0 or returned <= 0:
        return 0
    returned = min(returned, line_quantity)
    return -(-earned * returned // line_quantity)
