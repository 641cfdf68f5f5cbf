"""The forecasting job (`souk forecast`): read the sales, fit every series, store the
forecasts and the redistribution proposals built on them.

Two transactions, said in the signature (`db`): one reads the sales (and what the effects
are built from: the promotions, the SKUs' categories, the locations' countries), the second
replaces the stored forecasts and proposals at once. Fitting runs between them, with no
transaction open, since it takes seconds to minutes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import delete, insert, update

from souk.catalog.queries import variants_by_sku
from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, field_error
from souk.forecasting.engine import fit_series
from souk.forecasting.models import (
    Accuracy,
    Frequency,
    Point,
    SeriesForecast,
    UsedEffect,
    mean_of,
)
from souk.forecasting.policy import Policy, Targets, redistribute, targets
from souk.forecasting.regressors import PROMOTION, Calendars, Window, effects_of, windows_of
from souk.forecasting.series import DemandSeries, build_series, period_days
from souk.forecasting.tables import (
    WHY_LENGTH,
    DemandForecastRow,
    ForecastRunRow,
    TransferProposalRow,
)
from souk.inventory.availability import figures_at
from souk.inventory.queries import locations_by_code
from souk.orders.demand import daily_sales
from souk.promotions.live import live_promotions
from souk.settings import Settings


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: str
    frequency: Frequency
    series: int
    accuracy: Accuracy
    proposals: int
    seconds: float
    with_effects: int = 0  # series whose forecast used at least one effect


def policy_from(settings: Settings, freq: Frequency) -> Policy:
    return Policy(
        lead_time_days=settings.replenishment_lead_time_days,
        review_days=settings.replenishment_review_days,
        service_level=settings.replenishment_service_level,
        period_days=period_days(freq),
        level=settings.forecast_level,
    )


@dataclass(frozen=True, slots=True)
class _Context:
    """What the effects of every series are built from, read with the sales."""

    windows: list[Window]
    categories: dict[str, str | None]
    countries: dict[str, str]


def _context(
    uow: UnitOfWork, series: list[DemandSeries], *, promotions: Collection[str] | None
) -> _Context:
    """The promotions are read through the promotions domain's own query (the active,
    unretired ones it prices carts with); `promotions` keeps only those named, and names
    one that is not there as a clear error before anything is fitted or stored."""
    session = uow.session
    found = live_promotions(session=session, now=None).promotions
    if promotions is not None:
        known = {p.id for p in found}
        unknown = sorted(set(promotions) - known)
        if unknown:
            raise NotFound(
                f"No active promotion {', '.join(map(repr, unknown))}",
                errors=[field_error("promotion", "unknown or retired promotion")],
            )
        found = [p for p in found if p.id in set(promotions)]
    variants = variants_by_sku(session=session, skus={s.sku for s in series})
    locations = locations_by_code(session=session, codes={s.location for s in series})
    return _Context(
        windows_of(found),
        {sku: v.category for sku, v in variants.items()},
        {code: loc.country for code, loc in locations.items()},
    )


def run_forecasts(
    *,
    db: Database,
    today: date | None = None,
    frequency: Frequency | None = None,
    effects: bool = True,
    promotions: Collection[str] | None = None,
) -> RunSummary:
    """`effects`: promotions and holidays as effects where the data allows (docs/
    forecasting.md); `promotions`: only these promotions count (an unknown one is
    `NotFound`, and nothing is changed)."""
    settings = db.settings
    freq = frequency or Frequency(settings.forecast_frequency)
    today = today or utcnow().date()
    started = time.perf_counter()
    with UnitOfWork(db, write=False) as uow:
        sales = daily_sales(session=uow.session)
        all_series = build_series(sales, freq=freq, today=today)
        context = _context(uow, all_series, promotions=promotions) if effects else None
    first = min((s.start.year for s in all_series), default=today.year)
    calendars = Calendars(range(first, today.year + 2))
    forecasts = [
        _forecast(series, freq=freq, settings=settings, context=context, calendars=calendars)
        for series in all_series
    ]
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
    with_effects = sum(1 for f in forecasts if f.effects)
    return RunSummary(run_id, freq, len(forecasts), accuracy, proposals, seconds, with_effects)


def _forecast(
    series: DemandSeries,
    *,
    freq: Frequency,
    settings: Settings,
    context: _Context | None,
    calendars: Calendars,
) -> SeriesForecast:
    h = settings.forecast_horizon
    found = (
        effects_of(series, freq=freq, h=h, category=context.categories.get(series.sku),
                   country=context.countries.get(series.location), windows=context.windows,
                   calendars=calendars)
        if context is not None else None
    )  # fmt: skip
    fit = fit_series(
        series.values,
        freq=freq,
        h=h,
        level=settings.forecast_level,
        windows=settings.forecast_backtest_windows,
        effects=found.effects if found is not None else None,
    )
    points = [
        Point(d, float(m), float(lo), float(hi))
        for d, m, lo, hi in zip(series.next_periods(h, freq), fit.mean, fit.lo, fit.hi,
                                strict=True)
    ]  # fmt: skip
    if found is None:
        return SeriesForecast(series.sku, series.location, fit.model, fit.demand_class,
                              len(series.values), points, fit.accuracy, (),
                              "no effects asked for")  # fmt: skip
    used = tuple(
        replace(e, promotions=found.promotions) if e.name == PROMOTION else e for e in fit.effects
    )
    why = "; ".join(part for part in (fit.why, *found.notes) if part)
    return SeriesForecast(
        series.sku, series.location, fit.model, fit.demand_class, len(series.values), points,
        fit.accuracy, used,
        why or "no promotion is about this SKU and no holiday calendar applies",
    )  # fmt: skip


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
                    "effects": [_effect_json(e) for e in f.effects],
                    "why": f.why[:WHY_LENGTH],
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


def _effect_json(e: UsedEffect) -> dict[str, object]:
    return {**asdict(e), "uplift_pct": e.uplift_pct, "promotions": list(e.promotions)}


def _point_json(p: Point) -> dict[str, object]:
    return {"date": p.date.isoformat(), "mean": p.mean, "lo": p.lo, "hi": p.hi}
