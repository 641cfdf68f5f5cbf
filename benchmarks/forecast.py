"""Forecast benchmark: Dominick's orange juice (83 stores × 11 brands × 121 weeks), Souk's
forecasting engine against seasonal naive over a 12-week rolling backtest.

    .venv/bin/python benchmarks/forecast.py [--repeats 3] [--series N]

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
the year before. MASE is scaled, for both, by the training weeks' in-sample seasonal naive
error, and averaged over series.
Target: Souk's MASE ≥ 15 % lower than seasonal naive's, all series in under 60 s.
Prints one JSON line per repeat and a summary line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rdata

from benchmarks.stats import emit, summarise
from souk.forecasting.engine import fit_series
from souk.forecasting.models import Frequency, mase, mean_of, seasonal_naive

SEASON = 52
ORIGINS = 3
H = 4


def load_orange_juice() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(store/brand, weekly units, reported?) per series."""
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
        by_week = group.set_index("week")["logmove"].reindex(weeks)
        reported = by_week.notna().to_numpy()
        filled = by_week.interpolate(limit_direction="both").to_numpy(dtype=np.float64)
        series.append((f"{int(store)}/{int(brand)}", np.exp(filled), reported))
    return series


def score(y: np.ndarray, reported: np.ndarray, *, select: int) -> tuple[float | None, float | None]:
    ours: list[float | None] = []
    naive: list[float | None] = []
    for w in range(ORIGINS, 0, -1):
        cut = len(y) - w * H
        train, actual, seen = y[:cut], y[cut : cut + H], reported[cut : cut + H]
        if not seen.any():
            continue
        fit = fit_series(train, freq=Frequency.WEEK, h=H, level=80, windows=select, backtest_h=H)
        snaive = seasonal_naive(train, h=H, m=SEASON)
        ours.append(mase(train=train, actual=actual[seen], forecast=fit.mean[seen], m=SEASON))
        naive.append(mase(train=train, actual=actual[seen], forecast=snaive[seen], m=SEASON))
    return mean_of(ours), mean_of(naive)


def run_once(data: list[tuple[str, np.ndarray, np.ndarray]], *, select: int) -> dict[str, Any]:
    started = time.perf_counter()
    ours, naive = [], []
    for _, y, reported in data:
        a, b = score(y, reported, select=select)
        if a is not None and b is not None:
            ours.append(a)
            naive.append(b)
    seconds = time.perf_counter() - started
    souk_mase, naive_mase = float(np.mean(ours)), float(np.mean(naive))
    return {
        "benchmark": "forecast",
        "series": len(data),
        "scored": len(ours),
        "souk_mase": round(souk_mase, 4),
        "seasonal_naive_mase": round(naive_mase, 4),
        "ratio": round(souk_mase / naive_mase, 4),
        "improvement_pct": round(100 * (1 - souk_mase / naive_mase), 1),
        "seconds": round(seconds, 2),
        "select_windows": select,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--series", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument(
        "--select", type=int, default=0,
        help="inner backtest windows to choose the model by (0: first of its class)",
    )  # fmt: skip
    args = parser.parse_args()
    data = load_orange_juice()
    if args.series:
        data = data[: args.series]
    runs = []
    for i in range(args.repeats):
        record = run_once(data, select=args.select)
        emit({**record, "repeat": i + 1})
        runs.append(record)
    last = runs[-1]
    emit({
        "benchmark": "forecast",
        "summary": True,
        "series": last["series"],
        "souk_mase": last["souk_mase"],
        "seasonal_naive_mase": last["seasonal_naive_mase"],
        "improvement_pct": last["improvement_pct"],
        "target_improvement_pct": 15,
        "seconds": summarise([r["seconds"] for r in runs]),
        "target_seconds": 60,
    })  # fmt: skip


if __name__ == "__main__":
    main()
