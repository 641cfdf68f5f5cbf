"""The fraud screening's tables: one assessment per order (its score, the signals that made
it, its hold and review), and the learnt weight of each signal.

The assessment keeps the keys velocity is counted by (card fingerprint, a hash of the email,
IP, device) so that the next order's counts are one indexed look-up each, without reading
the orders table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import Json


class RiskAssessmentRow(Base):
    __tablename__ = "risk_assessments"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    # clear (accepted) | held (waiting for a review) | released | rejected (by a reviewer)
    status: Mapped[str] = mapped_column(String(10))
    signals: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    card_key: Mapped[str | None] = mapped_column(String(100))
    email_key: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(100))
    placed_at: Mapped[datetime]
    assessed_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(12))
    review_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_risk_card", "card_key", "placed_at"),
        Index("ix_risk_email", "email_key", "placed_at"),
        Index("ix_risk_ip", "ip", "placed_at"),
        Index("ix_risk_device", "device", "placed_at"),
        Index("ix_risk_status_score", "status", "score"),
    )


class RiskWeightRow(Base):
    """A signal's weight as reviews have moved it; a signal with no row has its default."""

    __tablename__ = "risk_weights"

    signal: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    cleared: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
