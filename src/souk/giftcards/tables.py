"""Tables of the gift-card domain.

`balance` is a cached sum of the card's ledger, changed only together with a ledger entry
and only by a conditional UPDATE (`balance >= :amount` for a debit), so it never goes below
zero however many tills and checkouts spend the card at once (invariant 3 and 8).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK


class GiftCardRow(Base):
    __tablename__ = "gift_cards"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Only a digest of the code is kept, as for API keys: the code is a bearer secret.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # gift_card | store_credit
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class GiftCardEntryRow(Base):
    __tablename__ = "gift_card_ledger"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    gift_card_id: Mapped[str] = mapped_column(
        ForeignKey("gift_cards.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int]  # signed: credits positive, debits negative
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
