"""The one-round-trip reservation of a single line on PostgreSQL — the hot-SKU path.

A flash sale is one SKU bought one line at a time by many buyers at once. The general path
(`reservations.reserve`) reads, plans, inserts and updates in six statements; on PostgreSQL
every statement is a network round trip, and round trips, not the row lock, bound the rate.
Here one statement does it all: pick the first ship-from location (in the channel's order)
that covers the line, take the units with the same conditional UPDATE, and insert the
reservation and its line only if the UPDATE took them (data-modifying CTEs).

It succeeds only with a choice the general path's rule allows (the first location that
covers the line whole; units of expired reservations not yet released are not counted as
free here); anything else (no such location, the units taken meanwhile, expired reservations
to release first, a split, a backorder, an unknown SKU) returns None having written nothing,
and the caller runs the general path in the same transaction, which decides and explains.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.db.base import new_id
from souk.inventory import events
from souk.inventory.events import Emit
from souk.inventory.models import (
    ReservationInfo,
    ReservationStatus,
    ReservedLine,
    ReserveLine,
    StockFigures,
)
from souk.inventory.stock import Changed

_ONE_LINE = text(
    """
    WITH candidate AS (
        SELECT s.id AS stock_id, l.code AS location
        FROM unnest(CAST(:ship_from AS varchar[])) WITH ORDINALITY AS sf(code, position)
        JOIN locations l ON l.code = sf.code
        JOIN stock_levels s ON s.location_id = l.id
        JOIN variants v ON v.id = s.variant_id
        WHERE v.sku = :sku AND NOT v.allow_backorder
          AND s.on_hand - s.reserved - s.allocated - s.safety_stock >= :quantity
        ORDER BY sf.position
        LIMIT 1
    ), taken AS (
        UPDATE stock_levels s
        SET reserved = s.reserved + :quantity, updated_at = :now
        FROM candidate
        WHERE s.id = candidate.stock_id
          AND s.on_hand - s.reserved - s.allocated - s.safety_stock >= :quantity
        RETURNING s.id, candidate.location, s.on_hand, s.reserved, s.allocated,
                  s.safety_stock, s.inbound, s.low_stock_threshold
    ), header AS (
        INSERT INTO reservations (id, channel, reference, status, expires_at, created_at,
                                  updated_at)
        SELECT :reservation_id, :channel, :reference, 'active', :expires_at, :now, :now
        FROM taken
    ), line AS (
        INSERT INTO reservation_lines (reservation_id, stock_id, quantity, status, expires_at)
        SELECT :reservation_id, taken.id, :quantity, 'held', :expires_at FROM taken
    )
    SELECT location, on_hand, reserved, allocated, safety_stock, inbound, low_stock_threshold
    FROM taken
    """
)


def reserve_one_line(
    session: Session,
    *,
    reservation_id: str,
    channel: str,
    ship_from: tuple[str, ...],
    sku: str,
    quantity: int,
    expires_at: datetime,
    reference: str | None,
    now: datetime,
) -> tuple[str, Changed] | None:
    """(location, figures after) if the line was reserved whole at one location; else None
    and nothing was written."""
    row = session.execute(
        _ONE_LINE,
        {
            "ship_from": list(ship_from),
            "sku": sku,
            "quantity": quantity,
            "now": now,
            "reservation_id": reservation_id,
            "channel": channel,
            "reference": reference,
            "expires_at": expires_at,
        },
    ).first()
    if row is None:
        return None
    location, on_hand, reserved, allocated, safety, inbound, threshold = row
    return location, Changed(StockFigures(on_hand, reserved, allocated, safety, inbound), threshold)


def try_fast_path(
    session: Session,
    *,
    channel: Channel,
    lines: Sequence[ReserveLine],
    expires_at: datetime,
    reference: str | None,
    now: datetime,
    emit: Emit,
) -> ReservationInfo | None:
    """The reservation, if this is one plain line on PostgreSQL and it fits at one location."""
    if len(lines) != 1 or lines[0].location is not None or lines[0].quantity <= 0:
        return None
    if expires_at <= now or not channel.ship_from:
        return None
    if session.get_bind().dialect.name != "postgresql":
        return None
    line = lines[0]
    reservation_id = new_id("res")
    hit = reserve_one_line(
        session,
        reservation_id=reservation_id,
        channel=channel.code,
        ship_from=channel.ship_from,
        sku=line.sku,
        quantity=line.quantity,
        expires_at=expires_at,
        reference=reference,
        now=now,
    )
    if hit is None:
        return None
    location, changed = hit
    events.low_stock_after_commit(emit, line.sku, location, line.quantity, changed)
    return ReservationInfo(
        id=reservation_id,
        expires_at=expires_at,
        lines=[ReservedLine(line.sku, location, line.quantity)],
        channel=channel.code,
        reference=reference,
        status=ReservationStatus.ACTIVE,
        created_at=now,
    )
