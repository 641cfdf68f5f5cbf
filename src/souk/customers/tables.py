"""Tables of the customers domain: customers and their addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Stored lower-cased: an address is one customer however it is typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None for customers created by an operator or a POS (no storefront sign-in yet).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(35))
    # The number printed on a loyalty card, so a store can find the customer at the till.
    loyalty_card: Mapped[str | None] = mapped_column(String(64), unique=True)
    signup_channel: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    addresses: Mapped[list[AddressRow]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="AddressRow.created_at"
    )


class AddressRow(Base):
    __tablename__ = "customer_addresses"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(10))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    customer: Mapped[CustomerRow] = relationship(back_populates="addresses")


class RegistrationRow(Base):
    """A sign-up waiting for its email to be confirmed (docs/security.md, "Registration").

    Not a customer yet: sign-in does not know it, and an email may have several (each
    registration sends its own link; the first confirmed wins)."""

    __tablename__ = "customer_registrations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # SHA-256 of the emailed token: the table alone cannot confirm anything.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(35))
    channel: Mapped[str] = mapped_column(String(64))
    cart_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
