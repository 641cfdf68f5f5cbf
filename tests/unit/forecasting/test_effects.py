"""Promotions and holidays as forecast effects: a known uplift is learnt and beats the plain
forecast out of sample, a series without the effect is forecast exactly as before, too
little history falls back and says so, and effects given wrongly are refused clearly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.forecasting.effects import Effects, EffectsError
from souk.forecasting.engine import fit_series
from souk.forecasting.models import Frequency, mase

N, H = 104, 8
UPLIFT = 30.0
PLANNED = (1, 5)  # weeks of the horizon with a promotion on the calendar


def _promoted(seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two years of a product selling about 20 a week and 50 in a promotion week (one in
    five), and the next eight weeks with two promotions planned."""
    rng = np.random.default_rng(seed)
    flags = (rng.random(N + H) < 0.2).astype(np.float64)
    flags[N:] = 0.0
    flags[[N + i for i in PLANNED]] = 1.0
    y = rng.poisson(20.0 + UPLIFT * flags).astype(np.float64)
    return y, flags, rng.random(N + H)


def _effects(flags: np.ndarray, *, name: str = "promotion") -> Effects:
    return Effects((name,), flags[:N, None], flags[N:, None])


def test_a_known_promotion_uplift_is_learnt_and_beats_the_plain_forecast() -> None:
    y, flags, _ = _promoted()
    train, actual = y[:N], y[N:]
    plain = fit_series(train, freq=Frequency.WEEK, h=H, level=80)
    promoted = fit_series(train, freq=Frequency.WEEK, h=H, level=80, effects=_effects(flags))
    # The effect is used, with the size it has, in the periods it was and will be on
    (used,) = promoted.effects
    assert used.name == "promotion"
    # 50 instead of 20 a week: +150 %, a coefficient of log(51/21) on log(1 + units)
    assert 120 < used.uplift_pct < 180 and "promotion +1" in promoted.why
    assert used.history_periods == int(flags[:N].sum()) and used.horizon_periods == 2
    assert "promotion" in promoted.why and "used" in promoted.why
    # The planned weeks are forecast with the uplift, the others at the usual level
    for week in range(H):
        expected = 20 + UPLIFT if week in PLANNED else 20
        assert abs(promoted.mean[week] - expected) < 6, (week, promoted.mean)
        assert promoted.lo[week] <= promoted.mean[week] <= promoted.hi[week]
    # And out of sample it is far better than the forecast that does not know the calendar
    with_effects = mase(train=train, actual=actual, forecast=promoted.mean, m=1)
    without = mase(train=train, actual=actual, forecast=plain.mean, m=1)
    assert with_effects is not None and without is not None
    assert with_effects < 0.5 * without, (with_effects, without)


def test_a_series_without_the_effect_is_forecast_exactly_as_before() -> None:
    y, _, _ = _promoted()
    train = y[:N]
    never = np.zeros(N + H)
    plain = fit_series(train, freq=Frequency.WEEK, h=H, level=80)
    same = fit_series(train, freq=Frequency.WEEK, h=H, level=80, effects=_effects(never))
    assert same.model == plain.model and same.effects == ()
    assert np.array_equal(same.mean, plain.mean) and np.array_equal(same.hi, plain.hi)
    assert same.accuracy == plain.accuracy
    assert "never in the history" in same.why


def test_an_effect_seen_too_rarely_is_left_out_and_the_forecast_says_why() -> None:
    y, _, _ = _promoted()
    rare = np.zeros(N + H)
    rare[[40, 80]] = 1.0  # twice in two years
    rare[N + 2] = 1.0  # and planned again
    fit = fit_series(y[:N], freq=Frequency.WEEK, h=H, level=80, effects=_effects(rare))
    assert fit.effects == ()
    assert "2 period(s) with it" in fit.why and "at least 3" in fit.why
    # Live in every period (a promotion that never stopped): nothing to compare it with
    always = fit_series(y[:N], freq=Frequency.WEEK, h=H, level=80,
                        effects=_effects(np.ones(N + H)))  # fmt: skip
    assert always.effects == () and "the same in every period of the history" in always.why


def test_an_effect_within_the_noise_is_not_used() -> None:
    # Demand that has nothing to do with the flag: its coefficient is noise, left out
    rng = np.random.default_rng(5)
    y = rng.poisson(20.0, N).astype(np.float64)
    noise = Effects(("promotion",), (rng.random((N, 1)) < 0.3).astype(float), np.ones((H, 1)))
    fit = fit_series(y, freq=Frequency.WEEK, h=H, level=80, effects=noise)
    plain = fit_series(y, freq=Frequency.WEEK, h=H, level=80)
    assert fit.effects == () and "within the noise" in fit.why
    assert np.array_equal(fit.mean, plain.mean)


def test_intermittent_demand_keeps_the_croston_family_and_says_effects_are_not_modelled() -> None:
    sparse = np.zeros(N + H)
    sparse[::6] = 4.0
    flags = np.zeros(N + H)
    flags[::6] = 1.0
    fit = fit_series(sparse[:N], freq=Frequency.WEEK, h=H, level=80, effects=_effects(flags))
    assert fit.model in {"CrostonOptimized", "TSB", "ADIDA"} and fit.effects == ()
    assert "Croston family takes no regressors" in fit.why


def test_an_erratic_series_uplift_is_relative_too() -> None:
    # Erratic demand: a promotion tripling sales is about +200 %
    rng = np.random.default_rng(3)
    flags = (rng.random(N + H) < 0.25).astype(np.float64)
    y = np.round(20 * rng.lognormal(0, 0.45, N + H) * (1 + 2 * flags))
    fit = fit_series(y[:N], freq=Frequency.WEEK, h=H, level=80, effects=_effects(flags))
    plain = fit_series(y[:N], freq=Frequency.WEEK, h=H, level=80)
    assert fit.demand_class.value == "erratic"
    (used,) = fit.effects
    assert 100 < used.uplift_pct < 300 and " %: used" in fit.why
    promoted = [fit.mean[i] for i in range(H) if flags[N + i]]
    assert min(promoted) > 2 * max(fit.mean[i] for i in range(H) if not flags[N + i])
    with_effects = mase(train=y[:N], actual=y[N:], forecast=fit.mean, m=1)
    without = mase(train=y[:N], actual=y[N:], forecast=plain.mean, m=1)
    assert with_effects is not None and without is not None and with_effects < without


BAD = [
    (lambda f: Effects(("promotion",), f[:N, None], None), "no future values for promotion"),
    (lambda f: Effects(("promotion",), f[:N, None], f[N:-1, None]), "the horizon needs 8 × 1"),
    (lambda f: Effects(("promotion",), f[: N - 1, None], f[N:, None]), "the series needs 104"),
    (lambda f: Effects(("a", "a"), np.zeros((N, 2)), np.zeros((H, 2))), "names repeat"),
    (
        lambda f: Effects(("promotion",), np.full((N, 1), np.nan), f[N:, None]),
        "finite numbers",
    ),
]


@pytest.mark.parametrize(("make", "says"), BAD)
def test_effects_given_wrongly_are_refused_with_what_is_wrong(make: object, says: str) -> None:
    y, flags, _ = _promoted()
    effects = make(flags)  # type: ignore[operator]
    with pytest.raises(EffectsError, match=says):
        fit_series(y[:N], freq=Frequency.WEEK, h=H, level=80, effects=effects)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=0, max_size=40),
    st.lists(st.sampled_from([0.0, 0.0, 1.0, 2 / 7]), min_size=43, max_size=43),
)
def test_with_effects_forecasts_are_never_negative_and_lie_inside_their_interval(
    values: list[int], flags: list[float]
) -> None:
    y = np.array(values, dtype=np.float64)
    x = np.array(flags[: len(y) + 3])[:, None]
    fit = fit_series(y, freq=Frequency.WEEK, h=3, level=80,
                     effects=Effects(("promotion",), x[: len(y)], x[len(y) :]))  # fmt: skip
    assert len(fit.mean) == 3 and np.all(np.isfinite(fit.mean))
    assert np.all(fit.lo >= 0)
    assert np.all(fit.lo <= fit.mean) and np.all(fit.mean <= fit.hi)
