"""Tables of the pricing domain: prices per currency (and channel), tax rates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.pricing.models import scope_of


class PriceRow(Base):
    """A variant's price in one currency; `channel_id` set means an override for that channel."""

    __tablename__ = "prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    amount: Mapped[int]
    updated_at: Mapped[datetime]

    # One base price and at most one override per channel. NULLs are distinct in a unique
    # constraint, so the base price gets its own partial unique index.
    __table_args__ = (
        Index(
            "uq_prices_override",
            "variant_id",
            "currency",
            "channel_id",
            unique=True,
            postgresql_where=text("channel_id IS NOT NULL"),
            sqlite_where=text("channel_id IS NOT NULL"),
        ),
        Index(
            "uq_prices_base",
            "variant_id",
            "currency",
            unique=True,
            postgresql_where=text("channel_id IS NULL"),
            sqlite_where=text("channel_id IS NULL"),
        ),
    )


def _scope_default(context: Any) -> str:
    params = context.get_current_parameters()
    return scope_of(params["country"], params.get("region"), params.get("category"))


class TaxRateRow(Base):
    """A tax rate for a country, optionally narrowed to a region and/or a product category.

    `scope` ("FR//books") is unique: a NULL region or category would not be, on SQLite.
    """

    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), unique=True, default=_scope_default)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(64))
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 5))
    name: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_tax_rates_country", "country"),)
