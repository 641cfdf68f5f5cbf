"""Engagement's tables: journeys, the messages they queue (one row per trigger, object and
journey, whatever the retries), experiments with their exposures and conversions, and the
scanner's marks (what it already announced)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK, Json


class JourneyRow(Base):
    __tablename__ = "engagement_journeys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(40), index=True)
    delay_s: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(20))
    # {locale: {subject, body}}
    template: Mapped[dict[str, Any]] = mapped_column(Json)
    coupon_promotion: Mapped[str | None] = mapped_column(String(40))
    segment: Mapped[str | None] = mapped_column(String(40))
    experiment_id: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class MessageRow(Base):
    """One message a journey decided to send. `dedupe_key` (journey, trigger, object) is
    unique: a redelivered event, a second scan or a racing worker finds the row there."""

    __tablename__ = "engagement_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    journey_id: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[str] = mapped_column(String(40), index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(20))
    # queued → sending → sent | suppressed | cancelled | failed
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300))
    context: Mapped[dict[str, Any]] = mapped_column(Json)
    send_after: Mapped[datetime]
    experiment_id: Mapped[str | None] = mapped_column(String(40))
    variant: Mapped[str | None] = mapped_column(String(100))
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(35))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(Json, default=list)
    # Unguessable: it alone authorises the one-click unsubscribe and the tracking links.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_opened_at: Mapped[datetime | None]
    first_clicked_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_engagement_messages_due", "status", "send_after"),)


class ExperimentRow(Base):
    __tablename__ = "engagement_experiments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # [{name, weight, template?, coupon_promotion?}]; the first variant is the control.
    variants: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    min_exposures: Mapped[int] = mapped_column(Integer)
    alpha: Mapped[str] = mapped_column(String(10))
    attribution_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ExposureRow(Base):
    __tablename__ = "engagement_exposures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[str] = mapped_column(String(40), index=True)
    variant: Mapped[str] = mapped_column(String(100))
    exposed_at: Mapped[datetime]
    # The order that converted this exposure (one per profile and experiment).
    converted_order: Mapped[str | None] = mapped_column(String(40))
    converted_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("experiment_id", "profile_id"),)


class ScanMarkRow(Base):
    """What the scanner announced already: `cart.abandoned` for one version of a cart,
    `churn_risk` for one profile and last order, the last price seen of a SKU."""

    __tablename__ = "engagement_scan_marks"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]


class CapLockRow(Base):
    """One row per profile the sender has claimed a message for. The claim upserts it
    first, which row-locks it until the claim commits: two workers sending to one profile
    take turns at the frequency cap's count-and-claim, so the cap holds under a race."""

    __tablename__ = "engagement_cap_locks"

    profile_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claimed_at: Mapped[datetime]
