"""Tables of the forecasting domain.

Forecasts are computed by `souk forecast` (or the worker's job) and stored, one row per
SKU × location × frequency, replaced at each run: the API only reads them. Redistribution
proposals are stored too, so that an operator accepts the one that was shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK, Json

WHY_LENGTH = 1000


class DemandForecastRow(Base):
    __tablename__ = "demand_forecasts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(64), index=True)
    frequency: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(40))
    demand_class: Mapped[str] = mapped_column(String(20))
    history: Mapped[int]  # periods of history the model saw
    level: Mapped[int]  # of the prediction interval, in percent
    points: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    mase: Mapped[float | None] = mapped_column(Float)
    rmsse: Mapped[float | None] = mapped_column(Float)
    windows: Mapped[int]  # rolling origins of the backtest
    # The effects the forecast used (promotions, holidays) and why each was used or not.
    effects: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    why: Mapped[str] = mapped_column(String(WHY_LENGTH), default="")
    run_id: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("sku", "location", "frequency"),)


class ForecastRunRow(Base):
    __tablename__ = "forecast_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(8))
    horizon: Mapped[int]
    series: Mapped[int]
    mase: Mapped[float | None] = mapped_column(Float)
    rmsse: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]


class TransferProposalRow(Base):
    __tablename__ = "transfer_proposals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    from_location: Mapped[str] = mapped_column(String(64))
    to_location: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    why: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # proposed | accepted | dismissed | stale
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    run_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_transfer_proposals_to_status", "to_location", "status"),
        Index("ix_transfer_proposals_from_status", "from_location", "status"),
    )
