"""Tables of the recommendations domain.

Pair counts are kept raw (how many baskets or browsing sessions held both SKUs) so that a
refresh only adds what happened since its watermark; scores are derived when read.
Personalised lists are replaced whole by each refresh (`personal.personal_lists`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base


class RecPairRow(Base):
    __tablename__ = "rec_pairs"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # bought | viewed
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    other: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]


class RecItemRow(Base):
    __tablename__ = "rec_items"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int]  # baskets or sessions holding the SKU


class RecProfileItemRow(Base):
    __tablename__ = "rec_profile_items"

    profile_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime]
    # `Reason` of souk.recommendations.models; None on a list computed before it was kept.
    why: Mapped[str | None] = mapped_column(String(20))


class RecWatermarkRow(Base):
    __tablename__ = "rec_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
