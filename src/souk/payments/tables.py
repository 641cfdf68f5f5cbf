"""Tables of the payments domain: payments and every call made to their provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base


class PaymentRow(Base):
    """One means of payment for one order (or, during checkout, for a cart).

    Amounts are minor units; `captured - refunded` is what the customer has paid and may get
    back, `amount - captured - voided` what is still authorised.
    """

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True)
    cart_id: Mapped[str | None] = mapped_column(String(40), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    captured: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    transactions: Mapped[list[PaymentTransactionRow]] = relationship(
        order_by="PaymentTransactionRow.id", cascade="all, delete-orphan"
    )


class PaymentTransactionRow(Base):
    """A call to the provider (authorize, capture, void, refund) and how it went."""

    __tablename__ = "payment_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[str] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    succeeded: Mapped[bool]
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
