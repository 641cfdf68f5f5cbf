"""Tables of the promotions domain.

Usage is counted in the rows that carry the limit (`times_used` on the promotion, the code,
and the customer's own count), each taken by one conditional UPDATE, so a limit holds under
any number of concurrent checkouts on any number of workers (invariant 8).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import Json


class PromotionRow(Base):
    __tablename__ = "promotions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    channels: Mapped[list[str]] = mapped_column(Json)
    customer_tiers: Mapped[list[str]] = mapped_column(Json)
    segments: Mapped[list[str]] = mapped_column(Json)
    coupon_required: Mapped[bool]
    conditions: Mapped[dict[str, Any]] = mapped_column(Json)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    priority: Mapped[int]
    stacking: Mapped[str] = mapped_column(String(20))
    usage_limit: Mapped[int | None]
    per_customer_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_promotions_live", "active", "deleted"),)


class PromotionCodeRow(Base):
    """A code that unlocks a promotion: shared (no limit of its own), single-use from a
    bulk batch (`usage_limit` 1), or personal (bound to one customer)."""

    __tablename__ = "promotion_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    promotion_id: Mapped[str] = mapped_column(
        ForeignKey("promotions.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    usage_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class PromotionCustomerUseRow(Base):
    """How often one customer (by id, or a guest by normalised email) used a promotion."""

    __tablename__ = "promotion_customer_uses"

    promotion_id: Mapped[str] = mapped_column(
        ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True
    )
    customer_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    times_used: Mapped[int] = mapped_column(default=0)


class PromotionRedemptionRow(Base):
    """One use of a promotion by one order; unique per order so that a retried checkout
    counts once, and given back when the order is cancelled."""

    __tablename__ = "promotion_redemptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    promotion_id: Mapped[str] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str | None] = mapped_column(String(64))
    customer_key: Mapped[str | None] = mapped_column(String(320))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("promotion_id", "order_id"),)
