"""Fitting statsforecast models to one demand series, choosing among them by a rolling-origin
backtest, and forecasting with prediction intervals.

The candidates depend on the demand class (`models.classify`): ETS and ARIMA for smooth and
erratic demand, Croston (optimised), TSB and ADIDA for intermittent and lumpy demand. Each
candidate is refitted at every origin of the backtest on the history before it only, so the
error that chooses it is an honest out-of-sample one.

ETS and ARIMA give their own intervals; the Croston family gives none, so their interval is
the mean plus or minus the empirical quantile of the backtest's absolute errors at the level
asked, never below zero (demand is not negative).

Known effects (promotions, holidays: `effects.py`) enter ETS and ARIMA as a regression the
base model is fitted on the rest of; each base model is backtested with and without them,
so an effect is kept only where it made the out-of-sample error smaller, and `why` says
which way it went and on what figures.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from souk.forecasting.effects import Effects, WithEffects, measured, significant, usable
from souk.forecasting.models import (
    MIN_HISTORY,
    Accuracy,
    DemandClass,
    Frequency,
    Series,
    UsedEffect,
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
    effects: tuple[UsedEffect, ...] = ()
    why: str = ""


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str
    factory: Factory
    effects: Effects | None = None

    @property
    def log(self) -> bool | None:
        """With effects, always on the log scale: a promotion or a holiday multiplies what
        a product sells (a best-seller gains more units than a slow one), and its
        coefficient is then a relative uplift whatever the series; without, the scale
        the demand class calls for (`_on_log_scale`)."""
        return True if self.effects is not None else None


def _with(factory: Factory, effects: Effects) -> Factory:
    return lambda m: WithEffects(factory(m), effects)


def _groups(kind: DemandClass, effects: Effects | None) -> list[list[_Candidate]]:
    """Candidates in the order they are tried, grouped by base model: every member of a
    group is backtested (with the effects first, so that without a backtest they are what
    is used), and the next group only where the best so far did not beat the naive one."""
    groups = []
    for name, factory in _candidates(kind).items():
        group = [_Candidate(name, factory)]
        if effects is not None:
            group.insert(0, _Candidate(name, _with(factory, effects), effects))
        groups.append(group)
    return groups


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
    factory: Factory, y: Series, *, h: int, m: int, level: int | None = None,
    log: bool | None = None,
) -> dict[str, Series]:  # fmt: skip
    log = _on_log_scale(y) if log is None else log
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


def _predict(factory: Factory, y: Series, *, h: int, m: int, log: bool | None = None) -> Series:
    return _forecast(factory, y, h=h, m=m, log=log)["mean"]


def backtest(
    factory: Factory, y: Series, *, h: int, windows: int, m: int, log: bool | None = None
) -> tuple[list[float | None], list[float | None], list[float]]:
    """Rolling origins: the last `windows` blocks of `h` periods, each forecast from the
    history before it. Returns MASE and RMSSE per origin and every absolute error."""
    mases: list[float | None] = []
    rmsses: list[float | None] = []
    errors: list[float] = []
    for w in range(windows, 0, -1):
        cut = len(y) - w * h
        train, actual = y[:cut], y[cut : cut + h]
        forecast = _predict(factory, train, h=h, m=m, log=log)
        mases.append(mase(train=train, actual=actual, forecast=forecast, m=max(m, 1)))
        rmsses.append(rmsse(train=train, actual=actual, forecast=forecast))
        errors.extend(np.abs(actual - forecast).tolist())
    return mases, rmsses, errors


def _windows_for(n: int, *, h: int, wanted: int) -> int:
    # Every origin keeps at least MIN_HISTORY periods to fit on.
    return max(0, min(wanted, (n - MIN_HISTORY) // h))


def fit_series(
    y: Series,
    *,
    freq: Frequency,
    h: int,
    level: int,
    windows: int = 3,
    backtest_h: int = 4,
    effects: Effects | None = None,
) -> Fit:
    """`effects`, when given, must cover the history and the `h` periods forecast
    (`EffectsError` otherwise); the forecast uses those the data can size and that make the
    backtest better, and says why in `Fit.why`."""
    if effects is not None:
        effects.check(n=len(y), h=h)
    kind = classify(y)
    if kind is DemandClass.SHORT:
        return _short(y, h=h, why=_unused(effects, "too short a history for any model"))
    sized, notes = usable(effects) if effects is not None else (None, [])
    if sized is not None:
        sized, noise = significant(np.log1p(y), sized)
        notes.extend(noise)
    if sized is not None and is_intermittent(kind):
        notes.append(
            f"{', '.join(sized.names)}: not modelled for {kind.value} demand (the Croston "
            "family takes no regressors)"
        )
        sized = None
    m = season_length(freq, len(y))
    bh = min(backtest_h, h)
    nw = _windows_for(len(y), h=bh, wanted=windows)
    best: tuple[float, _Candidate, Accuracy, list[float]] | None = None
    scores: dict[tuple[str, bool], float | None] = {}
    for group in _groups(kind, sized):
        for candidate in group:
            if nw == 0:
                best = best or (0.0, candidate, Accuracy(None, None, 0), [])
                break
            try:
                mases, rmsses, errors = backtest(
                    candidate.factory, y, h=bh, windows=nw, m=m, log=candidate.log
                )
            except FIT_ERRORS:
                continue
            score = mean_of(mases)
            scores[(candidate.name, candidate.effects is not None)] = score
            # Without a scale (constant history) the plain mean absolute error decides.
            key = score if score is not None else float(np.mean(errors))
            if best is None or key < best[0]:
                best = (key, candidate, Accuracy(score, mean_of(rmsses), nw), errors)
        # The next, costlier base model is tried only where this one did no better than
        # the naive forecast the error is scaled by.
        if best is not None and (nw == 0 or (best[2].mase is not None and best[0] < 1.0)):
            break
    if best is None:
        return _short(y, h=h, kind=kind, why=_unused(effects, "no model could be fitted"))
    _, chosen, accuracy, errors = best
    try:
        fit = _final(y, candidate=chosen, kind=kind, accuracy=accuracy, errors=errors, h=h,
                     m=m, level=level)  # fmt: skip
    except FIT_ERRORS:
        return _short(y, h=h, kind=kind, why=_unused(effects, "no model could be fitted"))
    return _explained(fit, y=y, chosen=chosen, offered=sized, scores=scores, notes=notes)


def _unused(effects: Effects | None, reason: str) -> str:
    if effects is None:
        return ""
    return f"{', '.join(effects.names)}: not used, {reason}"


def _explained(
    fit: Fit,
    *,
    y: Series,
    chosen: _Candidate,
    offered: Effects | None,
    scores: dict[tuple[str, bool], float | None],
    notes: list[str],
) -> Fit:
    parts = list(notes)
    used: tuple[UsedEffect, ...] = ()
    with_, without = scores.get((chosen.name, True)), scores.get((chosen.name, False))
    figures = (
        f" (backtest MASE {with_:.3f} with the effects, {without:.3f} without)"
        if with_ is not None and without is not None
        else " (no backtest compared the forecasts with and without them)"
    )
    if chosen.effects is not None:
        used = measured(y, chosen.effects)
        parts.insert(0, f"{', '.join(e.describe() for e in used)}: used{figures}")
    elif offered is not None:
        parts.insert(0, f"{', '.join(offered.names)}: not used, no better{figures}")
    return Fit(fit.model, fit.demand_class, fit.mean, fit.lo, fit.hi, fit.accuracy, used,
               "; ".join(parts))  # fmt: skip


def _final(
    y: Series, *, candidate: _Candidate, kind: DemandClass, accuracy: Accuracy,
    errors: list[float], h: int, m: int, level: int,
) -> Fit:  # fmt: skip
    factory, name = candidate.factory, candidate.name
    if is_intermittent(kind):
        mean = _predict(factory, y, h=h, m=m)
        spread = float(np.quantile(errors, level / 100)) if errors else float(np.std(y))
        lo, hi = np.clip(mean - spread, 0.0, None), mean + spread
    else:
        out = _forecast(factory, y, h=h, m=m, level=level, log=candidate.log)
        mean, lo, hi = out["mean"], out[f"lo-{level}"], out[f"hi-{level}"]
    return Fit(name, kind, mean, np.minimum(lo, mean), np.maximum(hi, mean), accuracy)


def _short(y: Series, *, h: int, kind: DemandClass = DemandClass.SHORT, why: str = "") -> Fit:
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
        why=why,
    )
