"""Souk's own promotions and the public holidays of a location's country as the effects of
a demand series (`effects.Effects`) — pure Python and numpy, no database.

- **promotion**: per period, the share of its days on which at least one promotion about
  the SKU (by SKU, by its category, or about every line) was live by its window — history
  and horizon alike, so a promotion planned for next month is in the forecast. One column
  for all of them: a promotion that has not started has no history of its own, but the
  SKU's past promotions say how it sells under one.
- **holidays:CC**: per period, the public holidays of the location's country (the
  `holidays` package: national days, not regional ones), 0 or 1 for a day and a count for
  a week. A country the package does not know gets no holiday column, and the forecast says
  so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
import numpy as np

from souk.forecasting.effects import Effects
from souk.forecasting.models import Frequency
from souk.forecasting.series import DemandSeries, period_days
from souk.promotions.models import Promotion

PROMOTION = "promotion"


@dataclass(frozen=True, slots=True)
class Window:
    """A promotion's live days: from `first` up to, not including, `end` (None: open)."""

    promotion: str
    first: date | None
    end: date | None
    skus: frozenset[str]
    categories: frozenset[str]

    def selects(self, sku: str, category: str | None) -> bool:
        if not self.skus and not self.categories:
            return True
        return sku in self.skus or (category is not None and category in self.categories)

    def days(self, start: date, total: int) -> slice:
        """Its live days among the `total` days from `start`, as positions (maybe empty)."""
        lo = 0 if self.first is None else max(0, (self.first - start).days)
        hi = total if self.end is None else min(total, (self.end - start).days)
        return slice(lo, max(lo, hi))


def _end_day(at: datetime | None) -> date | None:
    # A promotion ending at 10:00 was live that day; one ending at midnight was not.
    return None if at is None else (at - timedelta(microseconds=1)).date() + timedelta(days=1)


def windows_of(promotions: Iterable[Promotion]) -> list[Window]:
    """Promotions with a window; one live always (no start, no end) changes nothing from
    one period to the next and is no effect."""
    return [
        Window(
            p.id,
            p.starts_at.date() if p.starts_at is not None else None,
            _end_day(p.ends_at),
            p.conditions.skus,
            p.conditions.categories,
        )
        for p in promotions
        if p.starts_at is not None or p.ends_at is not None
    ]


@dataclass
class Calendars:
    """Public holidays per country over `years`, looked up once per run."""

    years: range
    _known: dict[str, frozenset[date] | None] = field(default_factory=dict)

    def of(self, country: str) -> frozenset[date] | None:
        if country not in self._known:
            try:
                days = holidays.country_holidays(country, years=self.years)
            except NotImplementedError:
                self._known[country] = None
            else:
                self._known[country] = frozenset(days)
        return self._known[country]


@dataclass(frozen=True, slots=True)
class SeriesEffects:
    effects: Effects | None
    promotions: tuple[str, ...]  # the promotions live in a period of the series
    notes: tuple[str, ...]


def effects_of(
    series: DemandSeries,
    *,
    freq: Frequency,
    h: int,
    category: str | None,
    country: str | None,
    windows: list[Window],
    calendars: Calendars,
) -> SeriesEffects:
    step = period_days(freq)
    n = len(series.values)
    total = (n + h) * step
    names: list[str] = []
    columns: list[np.ndarray] = []
    notes: list[str] = []
    live = np.zeros(total, dtype=np.float64)
    seen = []
    for w in windows:
        days = w.days(series.start, total)
        if days.start < days.stop and w.selects(series.sku, category):
            live[days] = 1.0
            seen.append(w.promotion)
    if seen:
        names.append(PROMOTION)
        columns.append(_per_period(live, step) / step)
    calendar = calendars.of(country) if country else None
    if calendar is not None:
        holiday = np.zeros(total, dtype=np.float64)
        offsets = [(d - series.start).days for d in calendar]
        holiday[[i for i in offsets if 0 <= i < total]] = 1.0
        names.append(f"holidays:{country}")
        columns.append(_per_period(holiday, step))
    elif country:
        notes.append(f"holidays: no public-holiday calendar for country {country!r}")
    promotions = tuple(sorted(set(seen)))
    if not names:
        return SeriesEffects(None, promotions, tuple(notes))
    rows = np.column_stack(columns)
    return SeriesEffects(Effects(tuple(names), rows[:n], rows[n:]), promotions, tuple(notes))


def _per_period(daily: np.ndarray, step: int) -> np.ndarray:
    per_period: np.ndarray = daily.reshape(-1, step).sum(axis=1)
    return per_period
