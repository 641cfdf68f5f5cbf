"""Fitting statsforecast models to one demand series, choosing among them by a rolling-origin
backtest, and forecasting with prediction intervals.

The candidates depend on the demand class (`models.classify`): ETS and ARIMA for smooth and
erratic demand, Croston (optimised), TSB and ADIDA for intermittent and lumpy demand. Each
candidate is refitted at every origin of the backtest on the history before it only, so the
error that chooses it is an honest out-of-sample one.

ETS and ARIMA give their own intervals; the Croston family gives none, so their interval is
the mean plus or minus the empirical quantile of the backtest's absolute errors at the level
asked, never below zero (demand is not negative).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from souk.forecasting.models import (
    MIN_HISTORY,
    Accuracy,
    DemandClass,
    Frequency,
    Series,
    classify,
    is_intermittent,
    mase,
    mean_of,
    rmsse,
    season_length,
)

# ARIMA with a 52-week season fits for minutes per series; ETS cannot take seasons above 24.
# Yearly seasonality of weekly data is left to the level and trend (docs/forecasting.md).
MAX_SEASON = 24
Factory = Callable[[int], Any]
# What statsforecast raises on a history it cannot fit ("tiny datasets", a singular
# system): that candidate is skipped, and with none left the series gets the plain mean.
FIT_ERRORS = (ValueError, NotImplementedError, ArithmeticError, np.linalg.LinAlgError)


@dataclass(frozen=True, slots=True)
class Fit:
    model: str
    demand_class: DemandClass
    mean: Series
    lo: Series
    hi: Series
    accuracy: Accuracy


def _candidates(kind: DemandClass) -> dict[str, Factory]:
    # Imported here: statsforecast (with pandas and numba) takes seconds to import, and every
    # API worker and CLI command would pay it at start-up for a run that happens weekly.
    from statsforecast.models import ADIDA, TSB, AutoARIMA, AutoETS, CrostonOptimized

    if is_intermittent(kind):
        return {
            "CrostonOptimized": lambda m: CrostonOptimized(),
            "TSB": lambda m: TSB(alpha_d=0.2, alpha_p=0.2),
            "ADIDA": lambda m: ADIDA(),
        }
    return {
        # Level and season only: trended ETS fits for ten times as long and, on weekly store
        # demand (Dominick's), forecasts worse; ARIMA, the next candidate, covers a drift.
        "AutoETS": lambda m: AutoETS(season_length=m if m <= MAX_SEASON else 1, model="ZNZ"),
        # A bounded, approximated search: ARIMA is ten times ETS's cost (docs/forecasting.md).
        "AutoARIMA": lambda m: AutoARIMA(
            season_length=m if m <= MAX_SEASON else 1, approximation=True, max_p=3, max_q=3
        ),
    }


def _on_log_scale(y: Series) -> bool:
    """Erratic demand (promotion spikes) is fitted on log(1 + y): the back-transformed
    forecast is the median, which is what minimises the absolute error MASE measures, and
    a spike no longer drags the level for weeks."""
    return classify(y) is DemandClass.ERRATIC


def _forecast(
    factory: Factory, y: Series, *, h: int, m: int, level: int | None = None
) -> dict[str, Series]:
    log = _on_log_scale(y)
    with warnings.catch_warnings():
        # ARIMA's optimiser warns on flat stretches and still returns a usable fit.
        warnings.simplefilter("ignore", UserWarning)
        out = factory(m).forecast(
            y=np.log1p(y) if log else y, h=h, level=[level] if level else None
        )
    return {
        key: np.clip(np.expm1(value) if log else np.asarray(value, dtype=np.float64), 0.0, None)
        for key, value in out.items()
    }


def _predict(factory: Factory, y: Series, *, h: int, m: int) -> Series:
    return _forecast(factory, y, h=h, m=m)["mean"]


def backtest(
    factory: Factory, y: Series, *, h: int, windows: int, m: int
) -> tuple[list[float | None], list[float | None], list[float]]:
    """Rolling origins: the last `windows` blocks of `h` periods, each forecast from the
    history before it. Returns MASE and RMSSE per origin and every absolute error."""
    mases: list[float | None] = []
    rmsses: list[float | None] = []
    errors: list[float] = []
    for w in range(windows, 0, -1):
        cut = len(y) - w * h
        train, actual = y[:cut], y[cut : cut + h]
        forecast = _predict(factory, train, h=h, m=m)
        mases.append(mase(train=train, actual=actual, forecast=forecast, m=max(m, 1)))
        rmsses.append(rmsse(train=train, actual=actual, forecast=forecast))
        errors.extend(np.abs(actual - forecast).tolist())
    return mases, rmsses, errors


def _windows_for(n: int, *, h: int, wanted: int) -> int:
    # Every origin keeps at least MIN_HISTORY periods to fit on.
    return max(0, min(wanted, (n - MIN_HISTORY) // h))


def fit_series(
    y: Series, *, freq: Frequency, h: int, level: int, windows: int = 3, backtest_h: int = 4
) -> Fit:
    kind = classify(y)
    if kind is DemandClass.SHORT:
        return _short(y, h=h)
    m = season_length(freq, len(y))
    bh = min(backtest_h, h)
    nw = _windows_for(len(y), h=bh, wanted=windows)
    best: tuple[float, str, Accuracy, list[float]] | None = None
    for name, factory in _candidates(kind).items():
        if nw == 0:
            best = (0.0, name, Accuracy(None, None, 0), [])
            break
        try:
            mases, rmsses, errors = backtest(factory, y, h=bh, windows=nw, m=m)
        except FIT_ERRORS:
            continue
        score = mean_of(mases)
        # Without a scale (constant history) the plain mean absolute error decides.
        key = score if score is not None else float(np.mean(errors))
        if best is None or key < best[0]:
            best = (key, name, Accuracy(score, mean_of(rmsses), nw), errors)
        # The next, costlier candidate is tried only where this one did no better than the
        # naive forecast the error is scaled by.
        if score is not None and best[0] < 1.0:
            break
    if best is None:
        return _short(y, h=h, kind=kind)
    _, name, accuracy, errors = best
    try:
        return _final(y, name=name, kind=kind, accuracy=accuracy, errors=errors, h=h, m=m,
                      level=level)  # fmt: skip
    except FIT_ERRORS:
        return _short(y, h=h, kind=kind)


def _final(
    y: Series, *, name: str, kind: DemandClass, accuracy: Accuracy, errors: list[float],
    h: int, m: int, level: int,
) -> Fit:  # fmt: skip
    factory = _candidates(kind)[name]
    if is_intermittent(kind):
        mean = _predict(factory, y, h=h, m=m)
        spread = float(np.quantile(errors, level / 100)) if errors else float(np.std(y))
        lo, hi = np.clip(mean - spread, 0.0, None), mean + spread
    else:
        out = _forecast(factory, y, h=h, m=m, level=level)
        mean, lo, hi = out["mean"], out[f"lo-{level}"], out[f"hi-{level}"]
    return Fit(name, kind, mean, np.minimum(lo, mean), np.maximum(hi, mean), accuracy)


def _short(y: Series, *, h: int, kind: DemandClass = DemandClass.SHORT) -> Fit:
    """A store that opened last month: the mean of what it sold so far, with an interval
    as wide as what it has seen."""
    level = float(np.mean(y)) if len(y) else 0.0
    hi = float(np.max(y)) if len(y) else 0.0
    mean = np.full(h, level)
    return Fit(
        "HistoricAverage",
        kind,
        mean,
        np.zeros(h),
        np.full(h, max(hi, level)),
        Accuracy(None, None, 0),
    )
