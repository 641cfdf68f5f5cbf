"""Tables of the carts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import Json


class CartRow(Base):
    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    # active → converted (an order exists) | merged (into the customer's cart at sign-in)
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(35))
    # The last channel that touched the cart, and the one that created it.
    channel: Mapped[str] = mapped_column(String(64))
    created_channel: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    fulfillment_type: Mapped[str] = mapped_column(String(20), default="delivery")
    pickup_location: Mapped[str | None] = mapped_column(String(64))
    # Codes the shopper entered, normalised; the engine accepts or lists each in `problems`.
    coupon_codes: Mapped[list[str] | None] = mapped_column(Json)
    # Tenders the shopper chose (`souk.carts.tenders`): gift-card ids, never their codes.
    gift_cards: Mapped[list[str] | None] = mapped_column(Json)
    loyalty_points: Mapped[int | None]
    # Bumped by every change: checkout reads the cart, then claims it only if unchanged.
    version: Mapped[int] = mapped_column(default=1)
    # Set while a checkout runs (its payment is being authorised); a crashed checkout's
    # claim lapses at this time, like its reservation.
    checkout_until: Mapped[datetime | None]
    order_id: Mapped[str | None] = mapped_column(String(40))
    merged_into: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    lines: Mapped[list[CartLineRow]] = relationship(
        back_populates="cart", order_by="CartLineRow.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One active cart per customer, across every channel and device.
        Index(
            "uq_carts_active_customer",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )


class CartLineRow(Base):
    __tablename__ = "cart_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    position: Mapped[int]
    # The price the shopper was last shown, so that a read can say what changed since.
    unit_price: Mapped[int | None]
    # The line's last reported problem (unavailable, insufficient-stock…), same purpose.
    last_issue: Mapped[str | None] = mapped_column(String(40))
    # A hold taken at add-to-cart (listings with hold_stock = 'cart').
    reservation_id: Mapped[str | None] = mapped_column(String(40))
    hold_expires_at: Mapped[datetime | None]
    added_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    cart: Mapped[CartRow] = relationship(back_populates="lines")

    __table_args__ = (UniqueConstraint("cart_id", "sku"),)
