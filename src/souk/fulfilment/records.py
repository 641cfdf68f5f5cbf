"""Writing fulfilment's own rows inside the caller's transaction: fulfilment orders, units
waiting for a decision and stock discrepancies. Never commits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from souk.db.adopt import adopt
from souk.db.base import new_id, table_of, utcnow
from souk.fulfilment.models import ACTIVE, FoStatus, FoType
from souk.fulfilment.tables import (
    FulfillmentHoldRow,
    FulfillmentOrderLineRow,
    FulfillmentOrderRow,
    StockDiscrepancyRow,
)

Emit = Callable[[str, dict[str, Any]], None]

_orders_t, _lines_t = table_of(FulfillmentOrderRow), table_of(FulfillmentOrderLineRow)
_LINE_KEYS = ("order_line_id", "sku", "quantity", "allocation_id", "transfer_id", "transfer_from")
# Built once: every order routed writes them.
_INSERT_FO = insert(_orders_t)
_INSERT_FO_LINES = insert(_lines_t).returning(_lines_t.c.id, *(_lines_t.c[k] for k in _LINE_KEYS))


@dataclass(frozen=True, slots=True)
class FoLineDraft:
    order_line_id: str | None
    sku: str
    quantity: int
    allocation_id: str | None = None
    transfer_id: str | None = None
    transfer_from: str | None = None


def create_fulfillment_order(
    session: Session,
    *,
    order_id: str,
    channel: str,
    location: str,
    fo_type: FoType,
    lines: Sequence[FoLineDraft],
    emit: Emit,
    status: FoStatus = FoStatus.OPEN,
    rerouted_from: str | None = None,
    estimated_ready_at: datetime | None = None,
) -> FulfillmentOrderRow:
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id("fo"),
        "order_id": order_id,
        "channel": channel,
        "location": location,
        "type": fo_type.value,
        "status": status.value,
        "pickup_code_hash": None,
        "pickup_failures": 0,
        "reject_reason": None,
        "rerouted_from": rerouted_from,
        "estimated_ready_at": estimated_ready_at,
        "created_at": now,
        "updated_at": now,
    }
    drafts = [
        {"fulfillment_order_id": values["id"], **{k: getattr(d, k) for k in _LINE_KEYS}}
        for d in lines
    ]
    # One INSERT each, on SQLite too (the unit of work's flush sent the lines row by row
    # there): a line's id comes back with its values, and two lines alike are
    # interchangeable, so no ordered RETURNING is needed to tell which is which.
    session.execute(_INSERT_FO, values)
    ids: dict[tuple[Any, ...], list[int]] = {}
    if drafts:
        for written in session.execute(_INSERT_FO_LINES, drafts):
            ids.setdefault(tuple(written[1:]), []).append(written[0])
    row = FulfillmentOrderRow(**values)
    row.lines = [
        FulfillmentOrderLineRow(id=ids[tuple(d[k] for k in _LINE_KEYS)].pop(), **d) for d in drafts
    ]
    # Known empty: the order view built from this row does not query for its shipments.
    row.shipments = []
    adopt(session, row, *row.lines)
    emit(
        "fulfillment_order.created",
        {
            "id": row.id,
            "order_id": order_id,
            "location": location,
            "type": fo_type.value,
            "status": status.value,
            "incoming_transfers": [d.transfer_id for d in lines if d.transfer_id],
        },
    )
    return row


def hold_units(
    session: Session,
    *,
    order_id: str,
    order_line_id: str | None,
    sku: str,
    quantity: int,
    reason: str,
    emit: Emit,
) -> FulfillmentHoldRow:
    """Units nothing can fulfil now: the order waits for a decision (backorder, cancel the
    line and refund, retry)."""
    row = FulfillmentHoldRow(
        id=new_id("hold"),
        order_id=order_id,
        order_line_id=order_line_id,
        sku=sku,
        quantity=quantity,
        reason=reason,
        status="open",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    emit(
        "fulfillment_hold.created",
        {"id": row.id, "order_id": order_id, "sku": sku, "quantity": quantity, "reason": reason},
    )
    return row


def raise_discrepancy(
    session: Session,
    *,
    location: str,
    sku: str,
    kind: str,
    quantity: int,
    reference: str | None,
    note: str | None,
    emit: Emit,
) -> StockDiscrepancyRow:
    """The books and the shelf disagree at `location`: ask for a count there."""
    row = StockDiscrepancyRow(
        id=new_id("disc"),
        location=location,
        sku=sku,
        kind=kind,
        quantity=quantity,
        reference=reference,
        note=note,
        status="open",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    emit(
        "stock.discrepancy_raised",
        {
            "id": row.id,
            "location": location,
            "sku": sku,
            "kind": kind,
            "quantity": quantity,
            "reference": reference,
        },
    )
    return row


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s day where the location is (capacity is a local, daily budget)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(now.tzinfo) if now.tzinfo else midnight


def units_routed_since(session: Session, *, starts: dict[str, datetime]) -> dict[str, int]:
    """Units routed to each location since its own `starts[location]` (today, locally),
    rejected and cancelled work excluded: what its daily capacity has already spent."""
    if not starts:
        return {}
    earliest = min(starts.values()) - timedelta(days=1)
    rows = session.execute(
        select(
            FulfillmentOrderRow.location,
            FulfillmentOrderRow.created_at,
            func.sum(FulfillmentOrderLineRow.quantity),
        )
        .join(FulfillmentOrderLineRow)
        .where(
            FulfillmentOrderRow.location.in_(list(starts)),
            FulfillmentOrderRow.created_at >= earliest,
            FulfillmentOrderRow.status.in_([s.value for s in ACTIVE]),
        )
        .group_by(FulfillmentOrderRow.location, FulfillmentOrderRow.created_at)
    ).all()
    used: dict[str, int] = {}
    for location, created_at, units in rows:
        if created_at >= starts[location]:
            used[location] = used.get(location, 0) + int(units or 0)
    return used
