"""The forecasting job (`souk forecast`): read the sales, fit every series, store the
forecasts and the redistribution proposals built on them.

Two transactions, said in the signature (`db`): one reads the sales, the second replaces
the stored forecasts and proposals at once. Fitting runs between them, with no
transaction open, since it takes seconds to minutes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, update

from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.forecasting.engine import fit_series
from souk.forecasting.models import Accuracy, Frequency, Point, SeriesForecast, mean_of
from souk.forecasting.policy import Policy, Targets, redistribute, targets
from souk.forecasting.series import build_series, period_days
from souk.forecasting.tables import DemandForecastRow, ForecastRunRow, TransferProposalRow
from souk.inventory.availability import figures_at
from souk.orders.demand import daily_sales
from souk.settings import Settings


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    frequency: Frequency
    series: int
    accuracy: Accuracy
    proposals: int
    seconds: float


def policy_from(settings: Settings, freq: Frequency) -> Policy:
    return Policy(
        lead_time_days=settings.replenishment_lead_time_days,
        review_days=settings.replenishment_review_days,
        service_level=settings.replenishment_service_level,
        period_days=period_days(freq),
        level=settings.forecast_level,
    )


def run_forecasts(
    *, db: Database, today: date | None = None, frequency: Frequency | None = None
) -> RunSummary:
    settings = db.settings
    freq = frequency or Frequency(settings.forecast_frequency)
    today = today or utcnow().date()
    started = time.perf_counter()
    with UnitOfWork(db, write=False) as uow:
        sales = daily_sales(session=uow.session)
    forecasts = []
    for series in build_series(sales, freq=freq, today=today):
        fit = fit_series(
            series.values,
            freq=freq,
            h=settings.forecast_horizon,
            level=settings.forecast_level,
            windows=settings.forecast_backtest_windows,
        )
        dates = series.next_periods(settings.forecast_horizon, freq)
        points = [
            Point(d, float(m), float(lo), float(hi))
            for d, m, lo, hi in zip(dates, fit.mean, fit.lo, fit.hi, strict=True)
        ]
        forecasts.append(
            SeriesForecast(
                series.sku,
                series.location,
                fit.model,
                fit.demand_class,
                len(series.values),
                points,
                fit.accuracy,
            )
        )
    accuracy = Accuracy(
        mean_of([f.accuracy.mase for f in forecasts]),
        mean_of([f.accuracy.rmsse for f in forecasts]),
        max((f.accuracy.windows for f in forecasts), default=0),
    )
    run_id = new_id("fcr")
    with UnitOfWork(db) as uow:
        proposals = _store(uow, run_id=run_id, freq=freq, forecasts=forecasts, settings=settings)
        seconds = time.perf_counter() - started
        uow.session.execute(
            insert(ForecastRunRow).values(
                id=run_id,
                frequency=freq.value,
                horizon=settings.forecast_horizon,
                series=len(forecasts),
                mase=accuracy.mase,
                rmsse=accuracy.rmsse,
                seconds=seconds,
                started_at=utcnow(),
            )
        )
        uow.commit()
    return RunSummary(run_id, freq, len(forecasts), accuracy, proposals, seconds)


def _store(
    uow: UnitOfWork,
    *,
    run_id: str,
    freq: Frequency,
    forecasts: list[SeriesForecast],
    settings: Settings,
) -> int:
    session = uow.session
    now = utcnow()
    session.execute(delete(DemandForecastRow).where(DemandForecastRow.frequency == freq.value))
    if forecasts:
        session.execute(
            insert(DemandForecastRow),
            [
                {
                    "sku": f.sku,
                    "location": f.location,
                    "frequency": freq.value,
                    "model": f.model,
                    "demand_class": f.demand_class.value,
                    "history": f.history,
                    "level": settings.forecast_level,
                    "points": [_point_json(p) for p in f.points],
                    "mase": f.accuracy.mase,
                    "rmsse": f.accuracy.rmsse,
                    "windows": f.accuracy.windows,
                    "run_id": run_id,
                    "computed_at": now,
                }
                for f in forecasts
            ],
        )
    # Proposals of an earlier run were made on stock that has moved since.
    session.execute(
        update(TransferProposalRow)
        .where(TransferProposalRow.status == "proposed")
        .values(status="stale", decided_at=now)
    )
    if freq.value != settings.forecast_frequency:
        return 0
    policy = policy_from(settings, freq)
    figures = figures_at(
        session=session,
        skus={f.sku for f in forecasts},
        locations={f.location for f in forecasts},
    )
    by_sku: dict[str, list[Targets]] = defaultdict(list)
    for f in forecasts:
        stock = figures.get((f.sku, f.location))
        position = stock.available + stock.inbound if stock else 0
        by_sku[f.sku].append(
            targets(
                sku=f.sku, location=f.location, points=f.points, position=position, policy=policy
            )
        )
    moves = [m for sku in sorted(by_sku) for m in redistribute(by_sku[sku], policy=policy)]
    if moves:
        session.execute(
            insert(TransferProposalRow),
            [
                {
                    "id": new_id("tp"),
                    "sku": m.sku,
                    "from_location": m.source,
                    "to_location": m.target,
                    "quantity": m.quantity,
                    "why": m.why[:500],
                    "status": "proposed",
                    "transfer_id": None,
                    "run_id": run_id,
                    "created_at": now,
                    "decided_at": None,
                }
                for m in moves
            ],
        )
    return len(moves)


def _point_json(p: Point) -> dict[str, object]:
    return {"date": p.date.isoformat(), "mean": p.mean, "lo": p.lo, "hi": p.hi}
