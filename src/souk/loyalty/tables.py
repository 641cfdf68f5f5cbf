"""Tables of the loyalty domain.

`available` and `pending` on the account are cached sums of the ledger, changed only with
an entry and debited only by a conditional UPDATE (`available >= :points`), so a balance
never goes below zero under concurrent tills and checkouts. Earn entries keep `remaining`
(what is neither spent nor expired yet) so points are spent and expire oldest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK, Json


class LoyaltyProgramRow(Base):
    __tablename__ = "loyalty_program"

    id: Mapped[int] = mapped_column(primary_key=True)  # one program: always 1
    definition: Mapped[dict[str, Any]] = mapped_column(Json)
    updated_at: Mapped[datetime]


class LoyaltyAccountRow(Base):
    __tablename__ = "loyalty_accounts"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(64), unique=True)
    available: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class LoyaltyEntryRow(Base):
    __tablename__ = "loyalty_ledger"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("loyalty_accounts.customer_id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]  # signed: earned positive, spent negative
    # What makes the entry once-only: the order for earn and redeem, the return for a
    # clawback, the request for an adjustment — unique per type.
    reference: Mapped[str | None] = mapped_column(String(100))
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    remaining: Mapped[int] = mapped_column(default=0)
    matured: Mapped[bool] = mapped_column(default=True)
    available_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("type", "reference"),
        Index("ix_loyalty_ledger_customer", "customer_id", "id"),
    )
