"""Demand classes, scaled errors and series building: exact values on small examples, and
the invariants for any history."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.forecasting.models import (
    DemandClass,
    Frequency,
    classify,
    mase,
    rmsse,
    season_length,
    seasonal_naive,
)
from souk.forecasting.series import build_series
from souk.orders.demand import DailySales


def _y(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_demand_classes_follow_syntetos_boylan() -> None:
    assert classify(_y(5, 6, 5, 4, 6, 5)) is DemandClass.SMOOTH
    assert classify(_y(1, 20, 1, 30, 2, 25)) is DemandClass.ERRATIC
    assert classify(_y(0, 0, 3, 0, 0, 3, 0, 4)) is DemandClass.INTERMITTENT
    assert classify(_y(0, 0, 1, 0, 0, 30, 0, 2)) is DemandClass.LUMPY
    assert classify(_y(0, 0, 0, 0)) is DemandClass.INTERMITTENT
    assert classify(_y(3, 4)) is DemandClass.SHORT


def test_mase_and_rmsse_scale_by_the_naive_forecasts_in_sample_error() -> None:
    train = _y(1, 3, 1, 3)  # one-step naive errors: 2, 2, 2
    assert mase(train=train, actual=_y(2, 2), forecast=_y(3, 1), m=1) == 0.5
    assert rmsse(train=train, actual=_y(2, 2), forecast=_y(4, 4)) == 1.0
    # A constant history has no scale: the error cannot be scaled, not a division by zero.
    assert mase(train=_y(2, 2, 2), actual=_y(2), forecast=_y(3), m=1) is None


def test_seasonal_naive_repeats_the_last_season() -> None:
    assert seasonal_naive(_y(1, 2, 3, 4, 5, 6, 7, 8), h=5, m=3).tolist() == [6, 7, 8, 6, 7]
    assert season_length(Frequency.WEEK, 103) == 1
    assert season_length(Frequency.WEEK, 104) == 52
    assert season_length(Frequency.DAY, 14) == 7


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=3, max_size=40))
def test_a_perfect_forecast_scores_zero_and_errors_are_never_negative(values: list[int]) -> None:
    y = np.array(values, dtype=np.float64)
    train, actual = y[:-2], y[-2:]
    score = mase(train=train, actual=actual, forecast=actual, m=1)
    assert score in (0.0, None)
    worse = mase(train=train, actual=actual, forecast=actual + 1, m=1)
    assert worse is None or worse > 0


def test_a_store_that_opened_last_month_has_a_month_of_history() -> None:
    # Given Paris selling since October and Lyon only since 16 November (weeks on Monday)
    sales = [
        DailySales("TEE", "paris", date(2026, 10, 5), 4),
        DailySales("TEE", "paris", date(2026, 11, 18), 2),
        DailySales("CAP", "paris", date(2026, 11, 20), 1),
        DailySales("TEE", "lyon", date(2026, 11, 17), 3),
        DailySales("TEE", "lyon", date(2026, 11, 19), 1),
        DailySales("TEE", "lyon", date(2026, 12, 2), 9),  # this week: not complete yet
    ]
    series = {
        (s.sku, s.location): s
        for s in build_series(sales, freq=Frequency.WEEK, today=date(2026, 12, 2))
    }
    # Then each series starts where its location started, zero-filled, the current week out
    assert series[("TEE", "paris")].start == date(2026, 10, 5)
    assert series[("TEE", "paris")].values.tolist() == [4, 0, 0, 0, 0, 0, 2, 0]
    assert series[("CAP", "paris")].values.tolist() == [0, 0, 0, 0, 0, 0, 1, 0]
    assert series[("TEE", "lyon")].start == date(2026, 11, 16)
    assert series[("TEE", "lyon")].values.tolist() == [4, 0]
    assert series[("TEE", "lyon")].next_periods(2, Frequency.WEEK) == [
        date(2026, 11, 30),
        date(2026, 12, 7),
    ]
