"""Tables of the orders domain: orders, lines, their stock allocations, status history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    Sequence,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import Json

# Order numbers come from a PostgreSQL sequence (no lock shared by concurrent checkouts);
# SQLite, whose writers are serialised anyway, takes the next number after the highest.
ORDER_NUMBER_START = 1001
order_number_seq = Sequence("order_number_seq", start=ORDER_NUMBER_START, metadata=Base.metadata)


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))
    # The marketplace's or the till's own id: an import or a POS sync repeated is one order.
    external_id: Mapped[str | None] = mapped_column(String(100))
    # One order per cart, ever: enforced by the database, not only by a check.
    cart_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(35))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    shipping: Mapped[int] = mapped_column(BigInteger)
    shipping_tax: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    tax_included: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    prices_include_tax: Mapped[bool]
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    fulfillment: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Which promotion took what, as the cart showed it: [{promotion, code, target, amount}].
    adjustments: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    # What the checkout knew of the buyer's session, for fraud screening (souk.risk): IP
    # and its country, device, card fingerprint, billing country. Erased with the person.
    checkout_context: Mapped[dict[str, Any] | None] = mapped_column(Json)
    placed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    lines: Mapped[list[OrderLineRow]] = relationship(
        back_populates="order", order_by="OrderLineRow.position", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderStatusRow]] = relationship(
        order_by="OrderStatusRow.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_orders_channel_id", "channel", "id"),
        Index("ix_orders_customer_id", "customer_id", "id"),
        Index("ix_orders_status_id", "status", "id"),
    )


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 5))
    total: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[OrderRow] = relationship(back_populates="lines")
    allocations: Mapped[list[OrderLineAllocationRow]] = relationship(
        order_by="OrderLineAllocationRow.id", cascade="all, delete-orphan"
    )


class OrderLineAllocationRow(Base):
    """Stock the inventory domain allocated to a line (its allocation id, kept as text), so
    that fulfilment can consume it and a cancellation can give it back."""

    __tablename__ = "order_line_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    allocation_id: Mapped[str] = mapped_column(String(40), index=True)
    location: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]


class OrderStatusRow(Base):
    __tablename__ = "order_status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
