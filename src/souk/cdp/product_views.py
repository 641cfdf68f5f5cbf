"""What the recommendations read from the customer data: product views (Segment's
"Product Viewed", with `properties.sku`) and whose orders are whose, inside the caller's
transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from souk.cdp.tables import CdpEventRow, CdpProfileOrderRow, CdpProfileRow

PRODUCT_VIEWED = "Product Viewed"


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    profile_id: str
    sku: str
    at: datetime


def _sku(payload: dict[str, Any]) -> str | None:
    properties = payload.get("properties")
    if not isinstance(properties, dict):
        return None
    sku = properties.get("sku") or properties.get("product_id")
    return str(sku)[:64] if sku else None


ViewRows = Select[int, str, datetime, dict[str, Any]]


def _views(session: Session, stmt: ViewRows) -> list[ProductView]:
    views = []
    for event_id, profile_id, at, payload in session.execute(stmt):
        sku = _sku(payload or {})
        if sku:
            views.append(ProductView(event_id, profile_id, sku, at))
    return views


def _select() -> ViewRows:
    return select(
        CdpEventRow.id, CdpEventRow.profile_id, CdpEventRow.timestamp, CdpEventRow.payload
    ).where(CdpEventRow.type == "track", CdpEventRow.event == PRODUCT_VIEWED)


def views_after(*, session: Session, after: int, limit: int) -> list[ProductView]:
    stmt = _select().where(CdpEventRow.id > after).order_by(CdpEventRow.id).limit(limit)
    return _views(session, stmt)


def views_of(
    *, session: Session, profile_ids: Collection[str], start: datetime, end: datetime, upto: int
) -> list[ProductView]:
    """Earlier views (ids up to `upto`) of these profiles in [start, end)."""
    if not profile_ids:
        return []
    stmt = _select().where(
        CdpEventRow.profile_id.in_(list(profile_ids)),
        CdpEventRow.timestamp >= start,
        CdpEventRow.timestamp < end,
        CdpEventRow.id <= upto,
    )
    return _views(session, stmt)


def profiles_of_orders(*, session: Session, order_ids: Collection[str]) -> dict[str, str]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(CdpProfileOrderRow.order_id, CdpProfileOrderRow.profile_id).where(
            CdpProfileOrderRow.order_id.in_(list(order_ids))
        )
    )
    return {str(order_id): str(profile_id) for order_id, profile_id in rows.tuples()}


def live_profile(*, session: Session, profile_id: str) -> str | None:
    """The profile a recommendation is asked for, followed through merges; None if unknown."""
    for _ in range(20):  # merge chains are short; a cycle would be a bug, not a hang
        merged = session.execute(
            select(CdpProfileRow.merged_into).where(CdpProfileRow.id == profile_id)
        ).first()
        if merged is None:
            return None
        if merged[0] is None:
            return profile_id
        profile_id = merged[0]
    return profile_id
