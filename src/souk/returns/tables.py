"""Tables of the returns domain: returns and their lines, refunds, store credit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import BigIntPK


class ReturnRow(Base):
    __tablename__ = "returns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # requested | received | refunded
    method: Mapped[str] = mapped_column(String(20))  # in_store | carrier
    # Where the customer said they would hand it in (in store) — any accepting store will do.
    location: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    received_location: Mapped[str | None] = mapped_column(String(64))
    exchange_order_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    received_at: Mapped[datetime | None]

    lines: Mapped[list[ReturnLineRow]] = relationship(
        order_by="ReturnLineRow.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[RefundRow]] = relationship(order_by="RefundRow.created_at")


class ReturnLineRow(Base):
    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    # What the customer paid for these units (after discounts, with tax): the refund's basis.
    amount: Mapped[int]
    exchange_sku: Mapped[str | None] = mapped_column(String(64))
    resellable: Mapped[int] = mapped_column(default=0)
    damaged: Mapped[int] = mapped_column(default=0)


class RefundRow(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(20))  # original | store_credit
    store_credit_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class StoreCreditRow(Base):
    """Superseded: store credit is now a gift card of kind `store_credit` (souk.giftcards);
    the table stays for the rows written before, and nothing writes it any more."""

    __tablename__ = "store_credits"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int]
    balance: Mapped[int]
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
