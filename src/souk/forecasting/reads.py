"""Reading stored forecasts and building replenishment suggestions from them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from souk.catalog.queries import variants_by_sku
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.forecasting.models import Frequency, Point
from souk.forecasting.policy import Policy, reorder_why, targets
from souk.forecasting.schemas import (
    ForecastAccuracyRead,
    ForecastEffectRead,
    ForecastPointRead,
    ForecastRead,
    SuggestionRead,
    SuggestionsRead,
)
from souk.forecasting.tables import DemandForecastRow, TransferProposalRow
from souk.inventory.availability import figures_at
from souk.inventory.queries import locations_by_code


def _known(uow: UnitOfWork, *, sku: str | None, location: str) -> None:
    session = uow.session
    if sku is not None and not variants_by_sku(session=session, skus=[sku]):
        raise NotFound(f"No SKU {sku!r}", errors=[field_error("query.sku", "unknown SKU")])
    if not locations_by_code(session=session, codes=[location]):
        raise NotFound(
            f"No location {location!r}", errors=[field_error("query.location", "unknown location")]
        )


def get_forecast(
    *, uow: UnitOfWork, sku: str, location: str, horizon: int | None, frequency: Frequency
) -> ForecastRead:
    with uow:
        _known(uow, sku=sku, location=location)
        row = uow.session.scalar(
            select(DemandForecastRow).where(
                DemandForecastRow.sku == sku,
                DemandForecastRow.location == location,
                DemandForecastRow.frequency == frequency.value,
            )
        )
        if row is None:
            raise NotFound(
                f"No {frequency.adjective} forecast for {sku!r} at {location!r}: it has not "
                "sold there yet, or `souk forecast` has not run since it did"
            )
        if horizon is not None and horizon > len(row.points):
            raise ValidationFailed(
                f"The stored forecast covers {len(row.points)} periods",
                errors=[field_error("query.horizon", f"at most {len(row.points)}")],
            )
        points = row.points[:horizon] if horizon is not None else row.points
        return ForecastRead(
            sku=row.sku, location=row.location, frequency=frequency.value, model=row.model,
            demand_class=row.demand_class, history=row.history, level=row.level,
            computed_at=row.computed_at,
            accuracy=ForecastAccuracyRead(mase=row.mase, rmsse=row.rmsse, windows=row.windows),
            effects=[ForecastEffectRead(**e) for e in row.effects], why=row.why,
            points=[ForecastPointRead(**p) for p in points],
        )  # fmt: skip


def suggestions(
    *, uow: UnitOfWork, location: str, policy: Policy, frequency: Frequency
) -> SuggestionsRead:
    """Transfer proposals into or out of `location` from the last run, then reorders: what
    the location still lacks once the proposed transfers into it arrive, from current stock."""
    with uow:
        _known(uow, sku=None, location=location)
        session = uow.session
        proposals = session.scalars(
            select(TransferProposalRow)
            .where(
                (TransferProposalRow.to_location == location)
                | (TransferProposalRow.from_location == location),
                TransferProposalRow.status.in_(["proposed", "accepted"]),
            )
            .order_by(TransferProposalRow.sku, TransferProposalRow.id)
        ).all()
        rows = session.scalars(
            select(DemandForecastRow)
            .where(
                DemandForecastRow.location == location,
                DemandForecastRow.frequency == frequency.value,
            )
            .order_by(DemandForecastRow.sku)
        ).all()
        figures = figures_at(session=session, skus={r.sku for r in rows}, locations=[location])
        coming: dict[str, int] = {}
        data = []
        for p in proposals:
            if p.to_location == location and p.status == "proposed":
                coming[p.sku] = coming.get(p.sku, 0) + p.quantity
            data.append(
                SuggestionRead(
                    type="transfer",
                    id=p.id,
                    sku=p.sku,
                    from_=p.from_location,
                    to=p.to_location,
                    quantity=p.quantity,
                    why=p.why,
                    status=p.status,
                    transfer=p.transfer_id,
                )
            )
        for row in rows:
            stock = figures.get((row.sku, location))
            position = (stock.available + stock.inbound if stock else 0) + coming.get(row.sku, 0)
            points = [Point(date.fromisoformat(p["date"]), p["mean"], p["lo"], p["hi"])
                      for p in row.points]  # fmt: skip
            t = targets(sku=row.sku, location=location, points=points, position=position,
                        policy=policy)  # fmt: skip
            if t.shortfall > 0:
                data.append(
                    SuggestionRead(
                        type="reorder",
                        id=None,
                        sku=row.sku,
                        from_=None,
                        to=location,
                        quantity=t.shortfall,
                        why=reorder_why(t, policy),
                        reorder_point=t.reorder_point,
                        order_up_to=t.order_up_to,
                    )
                )
        return SuggestionsRead(location=location, data=data)
