"""The reservation use cases behind the HTTP API and the CLI (each one unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.inventory.models import ReservationInfo, ReservationStatus, ReserveLine
from souk.inventory.reservations import free_lines, get_reservation, release, reserve
from souk.inventory.tables import reservations as reservations_t


def create_reservation(
    *,
    uow: UnitOfWork,
    channel: str,
    lines: Sequence[ReserveLine],
    expires_in_s: int,
    reference: str | None = None,
) -> ReservationInfo:
    """The use case behind POST /v1/inventory/reservations."""
    with uow:
        try:
            found = get_channel(session=uow.session, code=channel)
        except NotFound:
            raise ValidationFailed(
                f"Unknown channel {channel!r}",
                errors=[field_error("body.channel", f"unknown channel {channel!r}")],
            ) from None
        now = utcnow()
        info = reserve(
            session=uow.session,
            channel=found,
            lines=lines,
            expires_at=now + timedelta(seconds=expires_in_s),
            reference=reference,
            now=now,
            emit=uow.emit,
        )
        uow.commit()
        return info


def cancel_reservation(*, uow: UnitOfWork, reservation_id: str) -> ReservationInfo:
    """The use case behind DELETE /v1/inventory/reservations/{id}."""
    with uow:
        release(session=uow.session, reservation_id=reservation_id)
        info = get_reservation(session=uow.session, reservation_id=reservation_id)
        uow.commit()
        return info


def read_reservation(*, uow: UnitOfWork, reservation_id: str) -> ReservationInfo:
    with uow:
        return get_reservation(session=uow.session, reservation_id=reservation_id)


def sweep_expired(*, uow: UnitOfWork, now: datetime | None = None, limit: int = 500) -> int:
    """Mark expired reservations and free their lines (tidying only: readers already ignore
    them). Returns how many reservations were swept."""
    now = now or utcnow()
    with uow:
        ids = list(
            uow.session.scalars(
                select(reservations_t.c.id)
                .where(
                    reservations_t.c.status == ReservationStatus.ACTIVE.value,
                    reservations_t.c.expires_at <= now,
                )
                .limit(limit)
            )
        )
        for reservation_id in ids:
            swept = uow.session.execute(
                update(reservations_t)
                .where(
                    reservations_t.c.id == reservation_id,
                    reservations_t.c.status == ReservationStatus.ACTIVE.value,
                )
                .values(status=ReservationStatus.EXPIRED.value, updated_at=now)
            )
            if getattr(swept, "rowcount", 0):
                free_lines(uow.session, reservation_id=reservation_id, status="expired", now=now)
        uow.commit()
        return len(ids)
