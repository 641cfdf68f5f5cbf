"""Baskets for recommendations: the SKUs of each order placed after a watermark, in the
order the orders were created (their ids sort by creation time), inside the caller's
transaction. A cancelled order still says what went together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.orders.tables import OrderLineRow, OrderRow


@dataclass(frozen=True, slots=True)
class Basket:
    order_id: str
    lines: dict[str, int]  # sku → units


def baskets_after(*, session: Session, after: str, limit: int) -> list[Basket]:
    ids = session.scalars(
        select(OrderRow.id).where(OrderRow.id > after).order_by(OrderRow.id).limit(limit)
    ).all()
    if not ids:
        return []
    found: dict[str, dict[str, int]] = {order_id: {} for order_id in ids}
    rows = session.execute(
        select(OrderLineRow.order_id, OrderLineRow.sku, OrderLineRow.quantity).where(
            OrderLineRow.order_id.in_(ids)
        )
    )
    for order_id, sku, quantity in rows:
        found[order_id][sku] = found[order_id].get(sku, 0) + quantity
    return [Basket(order_id, lines) for order_id, lines in found.items()]
