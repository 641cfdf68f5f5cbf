"""Model choice by demand class, intervals, short histories, and the replenishment policy:
reorder points from the forecast over the lead time and redistribution between stores."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from souk.forecasting.engine import fit_series
from souk.forecasting.models import DemandClass, Frequency, Point
from souk.forecasting.policy import Policy, redistribute, targets

WEEKLY = Policy(lead_time_days=7, review_days=7, service_level=0.95, period_days=7, level=80)


def _points(*means: float, sigma: float = 0.0) -> list[Point]:
    half = sigma * float(norm.ppf(0.9))  # an 80 % interval
    start = date(2026, 12, 7)
    return [Point(start + timedelta(weeks=i), m, m - half, m + half) for i, m in enumerate(means)]


def test_smooth_demand_gets_ets_or_arima_and_intermittent_demand_the_croston_family() -> None:
    rng = np.random.default_rng(7)
    smooth = fit_series(rng.poisson(20, 40).astype(float), freq=Frequency.WEEK, h=4, level=80)
    assert smooth.demand_class is DemandClass.SMOOTH
    assert smooth.model in {"AutoETS", "AutoARIMA"}
    assert 15 < smooth.mean[0] < 25
    assert smooth.accuracy.windows == 3 and smooth.accuracy.mase is not None
    sparse = np.zeros(40)
    sparse[::5] = 2
    intermittent = fit_series(sparse, freq=Frequency.WEEK, h=4, level=80)
    assert intermittent.demand_class is DemandClass.INTERMITTENT
    assert intermittent.model in {"CrostonOptimized", "TSB", "ADIDA"}
    assert 0.2 < intermittent.mean[0] < 0.6  # 2 units every 5 weeks


def test_two_weeks_of_history_is_forecast_by_their_mean_and_said_so() -> None:
    fit = fit_series(np.array([3.0, 5.0]), freq=Frequency.WEEK, h=3, level=80)
    assert (fit.model, fit.demand_class) == ("HistoricAverage", DemandClass.SHORT)
    assert fit.mean.tolist() == [4.0, 4.0, 4.0]
    assert (fit.lo.tolist(), fit.hi.tolist()) == ([0.0] * 3, [5.0] * 3)
    assert fit.accuracy.windows == 0


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=0, max_size=30))
def test_forecasts_are_never_negative_and_lie_inside_their_interval(values: list[int]) -> None:
    fit = fit_series(np.array(values, dtype=np.float64), freq=Frequency.WEEK, h=3, level=80)
    assert len(fit.mean) == 3
    assert np.all(fit.lo >= 0)
    assert np.all(fit.lo <= fit.mean) and np.all(fit.mean <= fit.hi)


def test_the_reorder_point_is_lead_time_demand_plus_safety_stock_at_the_service_level() -> None:
    t = targets(sku="TEE", location="paris", points=_points(10, 10, 10, sigma=2.0),
                position=5, policy=WEEKLY)  # fmt: skip
    z = float(norm.ppf(0.95))
    assert t.reorder_point == math.ceil(10 + z * 2.0)
    assert t.order_up_to == math.ceil(20 + z * 2.0 * math.sqrt(2))
    assert t.shortfall == t.order_up_to - 5
    # Holding more than the reorder point, nothing is ordered
    calm = targets(sku="TEE", location="paris", points=_points(10, 10, sigma=2.0),
                   position=15, policy=WEEKLY)  # fmt: skip
    assert calm.shortfall == 0


def test_a_partial_period_counts_in_proportion() -> None:
    half_week = Policy(lead_time_days=3.5, review_days=3.5, service_level=0.5, period_days=7,
                       level=80)  # fmt: skip
    t = targets(sku="TEE", location="paris", points=_points(10, 30), position=0,
                policy=half_week)  # fmt: skip
    assert (t.reorder_point, t.order_up_to) == (5, 10)


def test_stock_moves_from_the_store_that_will_not_sell_it_to_the_one_that_runs_out() -> None:
    paris = targets(sku="TEE", location="paris", points=_points(10, 10), position=0,
                    policy=WEEKLY)  # fmt: skip
    lyon = targets(sku="TEE", location="lyon", points=_points(1, 1), position=30,
                   policy=WEEKLY)  # fmt: skip
    nice = targets(sku="TEE", location="nice", points=_points(2, 2), position=6,
                   policy=WEEKLY)  # fmt: skip
    (move,) = redistribute([paris, lyon, nice], policy=WEEKLY)
    assert (move.source, move.target) == ("lyon", "paris")
    # Lyon keeps what it needs for the next two weeks; Paris gets up to its order-up-to level
    assert move.quantity == min(paris.shortfall, lyon.position - lyon.order_up_to) == 20
    assert "lyon holds 30" in move.why and "paris holds 0" in move.why


@pytest.mark.parametrize("position", [0, 3])
def test_no_move_without_a_location_to_spare_it(position: int) -> None:
    paris = targets(sku="TEE", location="paris", points=_points(10, 10), position=position,
                    policy=WEEKLY)  # fmt: skip
    assert redistribute([paris], policy=WEEKLY) == []
