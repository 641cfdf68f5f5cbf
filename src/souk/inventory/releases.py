"""Releasing and reading reservations (re-exported by `souk.inventory.reservations`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.errors import InvalidState, NotFound
from souk.inventory.models import ReservationInfo, ReservationStatus, ReservedLine
from souk.inventory.stock import adjust, stock_labels
from souk.inventory.tables import ReservationRow, reservation_lines, reservations

reservations_t = reservations
lines_t = reservation_lines


def release(*, session: Session, reservation_id: str, now: datetime | None = None) -> None:
    """Give a reservation's units back at once. Idempotent; an expired reservation counts as
    released already. InvalidState if it became allocations (deallocate those instead)."""
    now = now or utcnow()
    header = session.execute(
        select(reservations_t.c.status).where(reservations_t.c.id == reservation_id)
    ).first()
    if header is None:
        raise NotFound(f"No reservation {reservation_id!r}")
    if header.status == ReservationStatus.ALLOCATED.value:
        raise InvalidState(f"Reservation {reservation_id} was allocated: deallocate instead")
    released = session.execute(
        update(reservations_t)
        .where(
            reservations_t.c.id == reservation_id,
            reservations_t.c.status == ReservationStatus.ACTIVE.value,
        )
        .values(status=ReservationStatus.RELEASED.value, updated_at=now)
    )
    if not getattr(released, "rowcount", 0):
        return
    free_lines(session, reservation_id=reservation_id, status="released", now=now)


def free_lines(session: Session, *, reservation_id: str, status: str, now: datetime) -> int:
    freed: dict[int, int] = {}
    rows = session.execute(
        update(lines_t)
        .where(lines_t.c.reservation_id == reservation_id, lines_t.c.status == "held")
        .values(status=status)
        .returning(lines_t.c.stock_id, lines_t.c.quantity)
    )
    for stock_id, units in rows:
        freed[stock_id] = freed.get(stock_id, 0) + units
    for stock_id in sorted(freed):
        adjust(session, stock_id=stock_id, now=now, reserved=-freed[stock_id])
    return sum(freed.values())


def get_reservation(
    *, session: Session, reservation_id: str, now: datetime | None = None
) -> ReservationInfo:
    now = now or utcnow()
    header = session.get(ReservationRow, reservation_id)
    if header is None:
        raise NotFound(f"No reservation {reservation_id!r}")
    rows = session.execute(
        select(lines_t.c.stock_id, lines_t.c.quantity).where(
            lines_t.c.reservation_id == reservation_id
        )
    ).all()
    labels = stock_labels(session, stock_ids={r.stock_id for r in rows})
    status = ReservationStatus(header.status)
    if status is ReservationStatus.ACTIVE and header.expires_at <= now:
        status = ReservationStatus.EXPIRED
    return ReservationInfo(
        id=header.id,
        expires_at=header.expires_at,
        lines=[
            ReservedLine(labels[r.stock_id].sku, labels[r.stock_id].location, r.quantity)
            for r in rows
        ],
        channel=header.channel,
        reference=header.reference,
        status=status,
        created_at=header.created_at,
    )
