"""Forecasting rules and value objects — pure Python and numpy, no database, no HTTP.

Intermittency follows Syntetos, Boylan & Croston (2005): the average inter-demand interval
(ADI) and the squared coefficient of variation of the non-zero sizes (CV²) put a series in
one of four classes; "intermittent" and "lumpy" series (ADI ≥ 1.32) go to the Croston
family, "smooth" and "erratic" ones to ETS/ARIMA.

Accuracy is scaled as in Hyndman & Koehler (2006) and the M5 competition: MASE divides the
mean absolute error by the in-sample MAE of the seasonal naive forecast, RMSSE the root mean
squared error by the in-sample RMSE of the naive one-step forecast, so series of every size
can be compared and averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

ADI_CUT = 1.32  # Syntetos-Boylan cut-offs
CV2_CUT = 0.49
SEASON = {"week": 52, "day": 7}
# Below this many periods no model can be checked against the past: the forecast is the
# mean of what there is, said so in `model`.
MIN_HISTORY = 4

Series = NDArray[np.float64]


class Frequency(StrEnum):
    WEEK = "week"
    DAY = "day"

    @property
    def adjective(self) -> str:
        return "weekly" if self is Frequency.WEEK else "daily"


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    SHORT = "short"  # too little history to tell


@dataclass(frozen=True, slots=True)
class Point:
    date: date
    mean: float
    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class Accuracy:
    mase: float | None
    rmsse: float | None
    windows: int


@dataclass(frozen=True, slots=True)
class UsedEffect:
    """An effect a forecast used: its coefficient on the log scale it is fitted on (a
    period with it sells exp(coefficient) times as much), in how many periods of the
    history and of the horizon it was away from its usual value, and the promotions behind
    it (a promotion effect)."""

    name: str
    coefficient: float
    history_periods: int
    horizon_periods: int
    promotions: tuple[str, ...] = ()

    @property
    def uplift_pct(self) -> float:
        return float(100 * (np.exp(self.coefficient) - 1))

    def describe(self) -> str:
        return f"{self.name} {self.uplift_pct:+.0f} %"


@dataclass(frozen=True, slots=True)
class SeriesForecast:
    sku: str
    location: str
    model: str
    demand_class: DemandClass
    history: int
    points: list[Point]
    accuracy: Accuracy
    effects: tuple[UsedEffect, ...] = ()
    why: str = ""


def classify(y: Series) -> DemandClass:
    if len(y) < MIN_HISTORY:
        return DemandClass.SHORT
    nonzero = y[y > 0]
    if len(nonzero) == 0:
        return DemandClass.INTERMITTENT
    adi = len(y) / len(nonzero)
    cv2 = float(np.var(nonzero) / np.mean(nonzero) ** 2) if len(nonzero) > 1 else 0.0
    if adi >= ADI_CUT:
        return DemandClass.LUMPY if cv2 >= CV2_CUT else DemandClass.INTERMITTENT
    return DemandClass.ERRATIC if cv2 >= CV2_CUT else DemandClass.SMOOTH


def is_intermittent(kind: DemandClass) -> bool:
    return kind in (DemandClass.INTERMITTENT, DemandClass.LUMPY)


def season_length(freq: Frequency, n: int) -> int:
    """The season a model may use: a year of weeks or a week of days, when at least two
    whole seasons were seen; otherwise none (1)."""
    m = SEASON[freq.value]
    return m if n >= 2 * m else 1


def seasonal_naive(y: Series, *, h: int, m: int) -> Series:
    m = m if len(y) >= m else 1
    last = y[-m:]
    return np.array([last[i % m] for i in range(h)], dtype=np.float64)


def _scale(y: Series, lag: int, *, squared: bool) -> float:
    lag = lag if len(y) > lag else 1
    if len(y) <= lag:
        return 0.0
    diff = y[lag:] - y[:-lag]
    return float(np.mean(diff**2) if squared else np.mean(np.abs(diff)))


def mase(*, train: Series, actual: Series, forecast: Series, m: int) -> float | None:
    """None where the scale is zero (a constant history): the error cannot be scaled."""
    scale = _scale(train, m, squared=False)
    if scale == 0:
        return None
    return float(np.mean(np.abs(actual - forecast)) / scale)


def rmsse(*, train: Series, actual: Series, forecast: Series) -> float | None:
    scale = _scale(train, 1, squared=True)
    if scale == 0:
        return None
    return float(np.sqrt(np.mean((actual - forecast) ** 2) / scale))


def mean_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(known)) if known else None
