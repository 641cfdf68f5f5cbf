"""Tables of the point of sale: one row per till transaction that took effect.

`(location, client_txn_id)` is unique, so a transaction retried any number of times (a
flaky network, a batch sent again after the store came back online) is recorded once; the
stored result is what every retry gets back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK, Json


class PosTransactionRow(Base):
    __tablename__ = "pos_transactions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    client_txn_id: Mapped[str] = mapped_column(String(100))
    # A digest of the transaction as first sent: the same id with other content is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # sale
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    occurred_at: Mapped[datetime]
    result: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("location", "client_txn_id"),)
