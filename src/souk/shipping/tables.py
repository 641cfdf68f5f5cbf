"""Tables of the shipping domain: delivery rates per zone and weight bracket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import Json


class ShippingRateRow(Base):
    __tablename__ = "shipping_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The zone: ISO country codes this rate delivers to.
    countries: Mapped[list[str]] = mapped_column(Json)
    # [{"currency": "EUR", "amount": 495}, ...] — one price per currency, minor units.
    prices: Mapped[list[dict[str, object]]] = mapped_column(Json)
    min_weight_g: Mapped[int | None]
    max_weight_g: Mapped[int | None]
    # None: every channel; else only these channel codes.
    channels: Mapped[list[str] | None] = mapped_column(Json)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
