"""What a dashboard asks for: a period of whole UTC days and a grouping. Pure values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from souk.errors import ValidationFailed, field_error

GRAINS = ("day", "week", "month")
DIMENSIONS = ("channel", "country", "store", "category")
# A year of days is 366 rows per group: more is a report, not a dashboard.
MAX_DAYS = 3 * 366
# The years a shop trades in (as souk.timestamps); also keeps `upper` from overflowing.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    """`start` to `end`, both included, in UTC days."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        for name, day in (("query.from", start), ("query.to", end)):
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValidationFailed(
                    f"{day} is outside the years {FIRST_YEAR} to {LAST_YEAR}",
                    errors=[field_error(name, f"must be in {FIRST_YEAR}–{LAST_YEAR}")],
                )
        if end < start:
            raise ValidationFailed(
                f"The period ends ({end}) before it starts ({start})",
                errors=[field_error("query.to", "must be on or after `from`")],
            )
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed(
                f"The period is longer than {MAX_DAYS} days",
                errors=[field_error("query.to", f"at most {MAX_DAYS} days after `from`")],
            )
        return cls(start, end)

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def upper(self) -> datetime:
        """Exclusive: the first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Grouping:
    grain: str | None
    dimensions: tuple[str, ...]

    @classmethod
    def parse(cls, by: str | None) -> Grouping:
        """`day`, `week,channel`, `country,category`… at most one grain, each dimension once."""
        parts = [p.strip() for p in (by or "").split(",") if p.strip()]
        unknown = [p for p in parts if p not in GRAINS and p not in DIMENSIONS]
        if unknown:
            raise ValidationFailed(
                f"Unknown grouping {', '.join(map(repr, unknown))}: use one of "
                f"{'|'.join(GRAINS)} and any of {'|'.join(DIMENSIONS)}",
                errors=[field_error("query.by", f"unknown: {', '.join(unknown)}")],
            )
        grains = [p for p in parts if p in GRAINS]
        if len(grains) > 1:
            raise ValidationFailed(
                "Group by at most one of day, week or month",
                errors=[field_error("query.by", f"several grains: {', '.join(grains)}")],
            )
        if len(set(parts)) != len(parts):
            raise ValidationFailed(
                "A grouping is named twice", errors=[field_error("query.by", "repeated")]
            )
        dims = tuple(d for d in DIMENSIONS if d in parts)
        return cls(grains[0] if grains else None, dims)


def aov(revenue: int, orders: int) -> int:
    """Average order value in minor units, rounded half up (never a float of money)."""
    if orders == 0:
        return 0
    return (2 * revenue + orders) // (2 * orders)


def share(part: int, whole: int) -> float | None:
    """A ratio of counts (not money), None when there is nothing to divide."""
    return round(part / whole, 6) if whole else None
