"""Carts left alone: active, with lines, someone to remind (a customer or an email), and
untouched since a given time. Read by engagement's scanner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from souk.carts.tables import CartLineRow, CartRow


@dataclass(frozen=True, slots=True)
class IdleCart:
    id: str
    version: int
    customer_id: str | None
    email: str | None
    channel: str
    updated_at: datetime


def idle_carts(*, session: Session, untouched_since: datetime, limit: int) -> list[IdleCart]:
    rows = session.execute(
        select(
            CartRow.id,
            CartRow.version,
            CartRow.customer_id,
            CartRow.email,
            CartRow.channel,
            CartRow.updated_at,
        )
        .where(
            CartRow.status == "active",
            CartRow.updated_at <= untouched_since,
            or_(CartRow.customer_id.is_not(None), CartRow.email.is_not(None)),
            exists().where(CartLineRow.cart_id == CartRow.id),
        )
        .order_by(CartRow.updated_at, CartRow.id)
        .limit(limit)
    )
    return [IdleCart(*row) for row in rows]
