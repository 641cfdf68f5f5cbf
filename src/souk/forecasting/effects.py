"""Known effects on demand — promotions, holidays, prices — as regressors of a forecast:
pure numpy, no database.

An effect is a column of values per period, known for the history and, because it is
planned (a promotion on the calendar, a public holiday, a price list), for the horizon too:
that is what makes it usable in a forecast at all. statsforecast's ETS takes no regressors
and its AutoARIMA takes them only in its own search, so Souk uses the same two stages for
every base model: an ordinary least-squares regression of log(1 + demand) on the effects,
then the base model on what the regression leaves, the effects' future contribution added
back to its forecast. On that scale an effect multiplies demand, and a coefficient b is a
relative uplift of exp(b) − 1 whatever the size of the series.

An effect is used only where the history can tell its size: at least `MIN_WITH` periods
with it and `MIN_WITHOUT` without (for a continuous effect such as a price: away from and
at its most common value), and a coefficient at least `T_MIN` standard errors from zero
(an uplift the noise alone would not give). Otherwise it is left out and `why` says so.
The standard errors take the residuals as independent; demand's are not quite, so the
bar is a filter against noise, not a test at a stated level — the backtest still decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from souk.forecasting.models import Series, UsedEffect

MIN_WITH = 3
MIN_WITHOUT = 4
T_MIN = 2.0


class EffectsError(ValueError):
    """Effects that cannot be used as given (a caller's mistake, not the data's)."""


@dataclass(frozen=True, slots=True)
class Effects:
    """`history` has one row per period of the series, `future` one per period forecast;
    one column per name, in order."""

    names: tuple[str, ...]
    history: np.ndarray
    future: np.ndarray | None

    def check(self, *, n: int, h: int) -> None:
        k = len(self.names)
        if len(set(self.names)) != k:
            raise EffectsError(f"effect names repeat: {', '.join(self.names)}")
        if self.history.shape != (n, k):
            raise EffectsError(
                f"the effects' history is {_shape(self.history)}, the series needs {n} × {k}"
            )
        if self.future is None:
            raise EffectsError(
                f"no future values for {', '.join(self.names)}: an effect must be known "
                f"over the {h} periods forecast (a planned promotion, a holiday calendar)"
            )
        if self.future.shape != (h, k):
            raise EffectsError(
                f"the effects' future is {_shape(self.future)}, the horizon needs {h} × {k}"
            )
        if not (np.isfinite(self.history).all() and np.isfinite(self.future).all()):
            raise EffectsError("effects must be finite numbers (no NaN or infinity)")

    def only(self, keep: list[int]) -> Effects | None:
        if not keep:
            return None
        future = self.future[:, keep] if self.future is not None else None
        return Effects(tuple(self.names[i] for i in keep), self.history[:, keep], future)


def _shape(a: np.ndarray) -> str:
    return " × ".join(str(d) for d in a.shape) or "a scalar"


def usual(column: np.ndarray) -> float:
    """The column's most common value: for a flag, the periods without the effect."""
    values, counts = np.unique(column, return_counts=True)
    return float(values[np.argmax(counts)])


def _periods_away_from_usual(column: np.ndarray) -> tuple[int, int]:
    """(periods away from the column's usual value, periods at it): for a flag, the periods
    with and without the effect."""
    at = int(np.sum(column == usual(column)))
    return len(column) - at, at


def usable(effects: Effects, *, n: int | None = None) -> tuple[Effects | None, list[str]]:
    """The effects the first `n` periods of history can size, and a note for each left out."""
    history = effects.history if n is None else effects.history[:n]
    keep, notes = [], []
    for i, name in enumerate(effects.names):
        away, at = _periods_away_from_usual(history[:, i])
        if away >= MIN_WITH and at >= MIN_WITHOUT:
            keep.append(i)
        elif away == 0:
            always = "never in" if not history[:, i].any() else "the same in every period of"
            notes.append(f"{name}: {always} the history, so its effect cannot be measured")
        else:
            notes.append(
                f"{name}: {away} period(s) with it and {at} without in the history "
                f"(at least {MIN_WITH} and {MIN_WITHOUT} are needed to measure it)"
            )
    return effects.only(keep), notes


@dataclass(frozen=True, slots=True)
class Regression:
    coefficients: Series  # one per effect, on the scale the model is fitted on
    t: Series  # each coefficient over its standard error (0 where it has none)

    def contribution(self, x: np.ndarray) -> Series:
        return np.asarray(x @ self.coefficients, dtype=np.float64)


def regress(z: Series, x: np.ndarray) -> Regression:
    """Least squares of `z` on an intercept and `x`; the intercept stays with the base
    model (it becomes the level ETS or ARIMA follows)."""
    design = np.column_stack([np.ones(len(z)), x])
    solution, *_ = np.linalg.lstsq(design, z, rcond=None)
    dof = len(z) - design.shape[1]
    residual = z - design @ solution
    variance = float(residual @ residual) / dof if dof > 0 else 0.0
    # pinv: two effects that always coincide leave XᵀX singular; neither gets a t then.
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(design.T @ design)) * variance, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, solution / np.where(se > 0, se, 1.0), 0.0)
    return Regression(np.asarray(solution[1:], dtype=np.float64), np.asarray(t[1:]))


def significant(z: Series, effects: Effects) -> tuple[Effects | None, list[str]]:
    """The effects whose coefficient on `z` stands out of the noise, and a note for each
    that does not."""
    fit = regress(z, effects.history)
    keep, notes = [], []
    for i, name in enumerate(effects.names):
        if abs(fit.t[i]) >= T_MIN:
            keep.append(i)
        else:
            notes.append(
                f"{name}: its effect ({fit.coefficients[i]:+.2f}) is within the noise "
                f"(t = {fit.t[i]:.2f}, at least {T_MIN:.0f} needed)"
            )
    return effects.only(keep), notes


class WithEffects:
    """A statsforecast model fitted on what a regression on the effects leaves, with the
    same `forecast` signature; the effects it cannot size on the history it is given (a
    short backtest origin) are left out there, and with none left it is the base model."""

    def __init__(self, base: Any, effects: Effects) -> None:
        self.base = base
        self.effects = effects

    def forecast(
        self, y: Series, h: int, level: list[int] | None = None, **_: Any
    ) -> dict[str, Series]:
        x, future = self.effects.history[: len(y)], self._future(len(y), h)
        sized, _notes = usable(Effects(self.effects.names, x, future))
        if sized is not None:
            sized, _notes = significant(y, sized)
        if sized is None or sized.future is None:
            plain: dict[str, Series] = self.base.forecast(y=y, h=h, level=level)
            return plain
        fit = regress(y, sized.history)
        out = self.base.forecast(y=y - fit.contribution(sized.history), h=h, level=level)
        ahead = fit.contribution(sized.future)
        return {key: np.asarray(value, dtype=np.float64) + ahead for key, value in out.items()}

    def _future(self, n: int, h: int) -> np.ndarray:
        """The effects of the `h` periods after the first `n`: further history inside a
        backtest, the planned future after the whole history."""
        planned = (
            self.effects.future if self.effects.future is not None else self.effects.history[:0]
        )
        return np.vstack([self.effects.history, planned])[n : n + h]


def measured(y: Series, effects: Effects) -> tuple[UsedEffect, ...]:
    """The effects' coefficients over the whole history of `y` (units, fitted on
    log(1 + y)), and the periods of history and horizon each is on."""
    fit = regress(np.log1p(y), effects.history)
    future = effects.future if effects.future is not None else effects.history[:0]
    result = []
    for i, name in enumerate(effects.names):
        most = usual(effects.history[:, i])
        result.append(
            UsedEffect(
                name,
                float(fit.coefficients[i]),
                int(np.sum(effects.history[:, i] != most)),
                int(np.sum(future[:, i] != most)),
            )
        )
    return tuple(result)
