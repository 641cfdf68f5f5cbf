"""Tables of the catalog domain: products, variants, categories, translations, listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import Json


class CategoryRow(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    names: Mapped[dict[str, str]] = mapped_column(Json, default=dict)


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    variants: Mapped[list[VariantRow]] = relationship(
        back_populates="product", order_by="VariantRow.id", cascade="all, delete-orphan"
    )
    translations: Mapped[list[ProductTranslationRow]] = relationship(cascade="all, delete-orphan")


class ProductTranslationRow(Base):
    __tablename__ = "product_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("product_id", "locale"),)


class VariantRow(Base):
    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    options: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    weight_g: Mapped[int | None]
    allow_backorder: Mapped[bool] = mapped_column(default=False)

    product: Mapped[ProductRow] = relationship(back_populates="variants")


class ListingRow(Base):
    """A product offered in one channel, optionally inside a time window (a "drop").

    `hold_stock` says when a cart takes stock out of availability: at checkout (the
    default) or at add-to-cart for `hold_minutes` (drops, where a cart must be really yours).
    """

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    published: Mapped[bool]
    available_from: Mapped[datetime | None]
    available_until: Mapped[datetime | None]
    hold_stock: Mapped[str] = mapped_column(String(20), default="checkout")
    hold_minutes: Mapped[int | None]
    # Early access to a drop: members of these loyalty tiers may buy from
    # `early_access_from`, everyone else from `available_from`.
    early_access_from: Mapped[datetime | None]
    early_access_tiers: Mapped[list[str] | None] = mapped_column(Json)
    updated_at: Mapped[datetime]

    # Channel first: the storefront walks one channel's listings in product order.
    __table_args__ = (UniqueConstraint("channel_id", "product_id"),)
