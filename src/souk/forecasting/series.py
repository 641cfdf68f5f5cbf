"""Daily sales into demand series per SKU × location — pure Python and numpy.

A series runs from the first period its location sold anything (a store that opened last
month has a month of history, not years of zeros) to the last complete period before
`today`; periods without a sale are zero demand. Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from souk.forecasting.models import Frequency, Series
from souk.orders.demand import DailySales


@dataclass(frozen=True, slots=True)
class DemandSeries:
    sku: str
    location: str
    start: date  # first period's first day
    values: Series

    def next_periods(self, h: int, freq: Frequency) -> list[date]:
        step = period_days(freq)
        first = self.start + timedelta(days=step * len(self.values))
        return [first + timedelta(days=step * i) for i in range(h)]


def period_days(freq: Frequency) -> int:
    return 7 if freq is Frequency.WEEK else 1


def period_start(day: date, freq: Frequency) -> date:
    return day - timedelta(days=day.weekday()) if freq is Frequency.WEEK else day


def build_series(
    sales: Iterable[DailySales], *, freq: Frequency, today: date
) -> list[DemandSeries]:
    step = period_days(freq)
    end = period_start(today, freq)  # the current period is not complete yet: left out
    units: dict[tuple[str, str], dict[date, float]] = defaultdict(lambda: defaultdict(float))
    opened: dict[str, date] = {}
    for sale in sales:
        start = period_start(sale.day, freq)
        if start >= end:
            continue
        units[(sale.sku, sale.location)][start] += sale.units
        opened[sale.location] = min(opened.get(sale.location, start), start)
    result = []
    for (sku, location), by_period in sorted(units.items()):
        first = opened[location]
        n = (end - first).days // step
        values = np.zeros(n, dtype=np.float64)
        for start, quantity in by_period.items():
            values[(start - first).days // step] = quantity
        result.append(DemandSeries(sku, location, first, values))
    return result
