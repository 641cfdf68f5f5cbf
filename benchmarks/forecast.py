"""Forecast benchmark: Dominick's orange juice (83 stores × 11 brands × 121 weeks), Souk's
forecasting engine with and without promotion and price effects, against seasonal naive,
over a 12-week rolling backtest.

    .venv/bin/python benchmarks/forecast.py [--repeats 3] [--series N] [--per-series FILE]

The data ships in Debian's r-cran-bayesm as `orangeJuice.rda`: fetched at run time into a
temporary directory (`apt-get download`, `dpkg -x`), read with `rdata`, never kept. Weekly
units are exp(logmove); the few weeks a store did not report are filled by linear
interpolation of logmove (they are training data only: no filled week is scored).

The 12 weeks are three rolling origins of 4 weeks each; at every origin both methods see
only the weeks before it. Souk fits per series with
`souk.forecasting.engine.fit_series`, the model chosen by demand class. By default
(`--select 0`) it takes the first model of the class (AutoETS, or CrostonOptimized for
intermittent demand) without the inner backtest `souk forecast` runs to choose between
ETS/ARIMA and Croston/TSB/ADIDA: that selection costs an ARIMA search, about a second per
fit on this machine, which the 60-s budget for 913 series × 3 origins cannot hold
(`--select 2` runs it, on a `--series` subset). Seasonal naive repeats the same weeks of
the year before. MASE is scaled, for every method, by the training weeks' in-sample
seasonal naive error, RMSSE by their naive one-step error, and both are averaged over
series (`--per-series` writes each series' figures as CSV).

Effects, in the same run: the store-brand-week columns of Dominick's `yx` table — `feat`
(feature advertising), `deal` (in-store display or coupon) and the log of the brand's own
price — given to `fit_series` as `Effects`, which fits a least-squares regression on them
under the same ETS. Their values over the forecast weeks are taken as known: a retailer
plans its features, deals and prices before the week, which is the setting Souk forecasts
in (a promotion on the calendar). It is not a forecast of an unplanned promotion.
Target: Souk's MASE ≥ 15 % lower than seasonal naive's, all series in under 60 s.
Prints one JSON line per repeat and a summary line; seconds are wall clock, `cpu_seconds`
the process's CPU time (what to compare on a loaded machine).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rdata

from benchmarks.stats import emit, summarise
from souk.forecasting.effects import Effects
from souk.forecasting.engine import FIT_ERRORS, fit_series
from souk.forecasting.models import Frequency, mase, mean_of, rmsse, seasonal_naive

SEASON = 52
ORIGINS = 3
H = 4
EFFECTS = ("feat", "deal", "log_price")
OJ = tuple[str, np.ndarray, np.ndarray, np.ndarray]  # name, units, reported?, effects


def load_orange_juice() -> list[OJ]:
    """(store/brand, weekly units, reported?, weekly feat/deal/log price) per series."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["apt-get", "download", "r-cran-bayesm"], cwd=tmp, check=True, capture_output=True
        )
        (deb,) = Path(tmp).glob("r-cran-bayesm_*.deb")
        subprocess.run(["dpkg", "-x", str(deb), f"{tmp}/x"], check=True)
        (rda,) = Path(tmp).glob("x/usr/lib/R/site-library/bayesm/data/orangeJuice.rda")
        yx = rdata.read_rda(str(rda))["orangeJuice"]["yx"]
    weeks = np.arange(int(yx.week.min()), int(yx.week.max()) + 1)
    series = []
    for (store, brand), group in yx.groupby(["store", "brand"]):
        weekly = group.set_index("week").reindex(weeks)
        reported = weekly["logmove"].notna().to_numpy()
        filled = weekly["logmove"].interpolate(limit_direction="both").to_numpy(np.float64)
        # An unreported week's effects are never scored against; the last known fill it.
        known = weekly[["feat", "deal", f"price{int(brand)}"]].ffill().bfill()
        x = np.column_stack([
            known["feat"].to_numpy(np.float64),
            known["deal"].to_numpy(np.float64),
            np.log(known[f"price{int(brand)}"].to_numpy(np.float64)),
        ])  # fmt: skip
        series.append((f"{int(store)}/{int(brand)}", np.exp(filled), reported, x))
    return series


Scores = dict[str, tuple[float | None, float | None]]  # method → (MASE, RMSSE)
# A method: (training weeks, their effects, the forecast weeks' effects) → forecast, and
# whether it used effects.
Method = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, bool]]


def _souk(select: int, *, effects: bool) -> Method:
    def forecast(train: np.ndarray, x: np.ndarray, x_future: np.ndarray) -> tuple[Any, bool]:
        given = Effects(EFFECTS, x, x_future) if effects else None
        fit = fit_series(train, freq=Frequency.WEEK, h=H, level=80, windows=select,
                         backtest_h=H, effects=given)  # fmt: skip
        return fit.mean, bool(fit.effects)

    return forecast


def _arima_x(train: np.ndarray, x: np.ndarray, x_future: np.ndarray) -> tuple[Any, bool]:
    """statsforecast's own regression with ARIMA errors (its exogenous support), on
    log(1 + units) like Souk's erratic series, without Souk's with/without checks."""
    from statsforecast.models import AutoARIMA

    model = AutoARIMA(approximation=True, max_p=3, max_q=3)
    try:
        out = model.forecast(y=np.log1p(train), h=H, X=x, X_future=x_future)
    except FIT_ERRORS:
        out = model.forecast(y=np.log1p(train), h=H)
    return np.clip(np.expm1(out["mean"]), 0.0, None), True


def methods_for(select: int, *, arima_x: bool) -> dict[str, Method]:
    found = {"souk": _souk(select, effects=False), "souk_effects": _souk(select, effects=True)}
    return {**found, "arima_x": _arima_x} if arima_x else found


def score(
    y: np.ndarray, reported: np.ndarray, x: np.ndarray, *, methods: dict[str, Method],
    cpu: dict[str, float],
) -> tuple[Scores, bool]:  # fmt: skip
    """Each method's (and seasonal naive's) mean MASE and RMSSE over the origins, and
    whether Souk's effects model used effects at the last origin."""
    errors: dict[str, tuple[list[float | None], list[float | None]]] = {
        m: ([], []) for m in [*methods, "seasonal_naive"]
    }
    used = False
    for w in range(ORIGINS, 0, -1):
        cut = len(y) - w * H
        train, actual, seen = y[:cut], y[cut : cut + H], reported[cut : cut + H]
        if not seen.any():
            continue
        forecasts = {"seasonal_naive": seasonal_naive(train, h=H, m=SEASON)}
        for name, method in methods.items():
            started = time.process_time()
            forecasts[name], with_effects = method(train, x[:cut], x[cut : cut + H])
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - started
            used = with_effects if name == "souk_effects" else used
        for name, forecast in forecasts.items():
            a, f = actual[seen], forecast[seen]
            errors[name][0].append(mase(train=train, actual=a, forecast=f, m=SEASON))
            errors[name][1].append(rmsse(train=train, actual=a, forecast=f))
    return {m: (mean_of(e[0]), mean_of(e[1])) for m, e in errors.items()}, used


def run_once(
    data: list[OJ], *, methods: dict[str, Method], select: int, per_series: Path | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    cpu: dict[str, float] = {}
    rows, used = [], 0
    for name, y, reported, x in data:
        scores, with_effects = score(y, reported, x, methods=methods, cpu=cpu)
        if all(v is not None for pair in scores.values() for v in pair):
            rows.append((name, scores))
            used += with_effects
    seconds = time.perf_counter() - started
    names = [*methods, "seasonal_naive"]
    if per_series is not None:
        _write(per_series, names, rows)
    agg = {m: [float(np.mean([s[m][i] for _, s in rows])) for i in (0, 1)] for m in names}
    naive = agg["seasonal_naive"][0]
    plain, effects = agg["souk"][0], agg["souk_effects"][0]
    wins = sum(1 for _, s in rows if (s["souk_effects"][0] or 0) < (s["souk"][0] or 0))
    return {
        "benchmark": "forecast",
        "series": len(data),
        "scored": len(rows),
        **{f"{m}_mase": round(agg[m][0], 4) for m in names},
        **{f"{m}_rmsse": round(agg[m][1], 4) for m in names},
        "improvement_pct": round(100 * (1 - plain / naive), 1),
        "effects_improvement_pct": round(100 * (1 - effects / naive), 1),
        "effects_vs_plain_pct": round(100 * (1 - effects / plain), 1),
        "series_better_with_effects": wins,
        "series_using_effects": used,
        "seconds": round(seconds, 2),
        "cpu_seconds": {m: round(c, 2) for m, c in cpu.items()},
        "select_windows": select,
    }


def _write(path: Path, names: list[str], rows: list[tuple[str, Scores]]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["series", *(f"{m}_{k}" for m in names for k in ("mase", "rmsse"))])
        for name, scores in rows:
            writer.writerow([name, *(f"{v:.4f}" for m in names for v in scores[m])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--series", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument(
        "--select", type=int, default=0,
        help="inner backtest windows to choose the model by (0: first of its class)",
    )  # fmt: skip
    parser.add_argument("--per-series", type=Path, help="write each series' MASE/RMSSE (CSV)")
    parser.add_argument(
        "--arima-x", action="store_true",
        help="also statsforecast's AutoARIMA with the effects as X (about a second a fit)",
    )  # fmt: skip
    args = parser.parse_args()
    data = load_orange_juice()
    if args.series:
        data = data[: args.series]
    methods = methods_for(args.select, arima_x=args.arima_x)
    # One fit of each kind before the clock starts: statsforecast compiles on first use.
    score(*data[0][1:], methods=methods, cpu={})
    runs = []
    for i in range(args.repeats):
        record = run_once(data, methods=methods, select=args.select, per_series=args.per_series)
        emit({**record, "repeat": i + 1})
        runs.append(record)
    last = runs[-1]
    emit({
        "benchmark": "forecast",
        "summary": True,
        "series": last["series"],
        **{k: last[k] for k in last if k.endswith(("_mase", "_rmsse", "_pct", "_effects"))},
        "cpu_seconds": last["cpu_seconds"],
        "target_improvement_pct": 15,
        "seconds": summarise([r["seconds"] for r in runs]),
        "target_seconds": 60,
    })  # fmt: skip


if __name__ == "__main__":
    main()
