"""Segments: a rule checked when saved, its members computed once over every profile at
creation, and kept current afterwards by `profiles.refresh` on every event that touches a
profile."""

from __future__ import annotations

from sqlalchemy import func, select

from souk.api.pagination import decode_cursor, encode_cursor
from souk.cdp import rules
from souk.cdp.profiles import SEGMENTS, resegment
from souk.cdp.schemas import SegmentCreate, SegmentMemberRead, SegmentRead
from souk.cdp.tables import CdpProfileRow, CdpSegmentMemberRow, CdpSegmentRow
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed


def _read(uow: UnitOfWork, row: CdpSegmentRow) -> SegmentRead:
    members = uow.session.scalar(
        select(func.count()).where(CdpSegmentMemberRow.segment_id == row.id)
    )
    return SegmentRead(
        id=row.id,
        name=row.name,
        rule=row.rule,
        members=int(members or 0),
        created_at=row.created_at,
    )


def create_segment(*, uow: UnitOfWork, data: SegmentCreate) -> SegmentRead:
    errors = rules.check(data.rule)
    if errors:
        raise ValidationFailed("The segment rule is not valid", errors=errors)
    now = utcnow()
    with uow:
        row = CdpSegmentRow(id=new_id("seg"), name=data.name, rule=data.rule, created_at=now)
        uow.session.add(row)
        uow.session.flush()
        profiles = uow.session.scalars(
            select(CdpProfileRow).where(CdpProfileRow.merged_into.is_(None))
        )
        for profile in profiles:
            resegment(uow, profile, [row], now=now)
        uow.session.flush()
        result = _read(uow, row)
        uow.commit()
        SEGMENTS.forget(uow.db)  # this process checks every profile against it at once
        return result


def get_segment(*, uow: UnitOfWork, segment_id: str) -> SegmentRead:
    with uow:
        row = uow.session.get(CdpSegmentRow, segment_id)
        if row is None:
            raise NotFound(f"No segment {segment_id!r}")
        return _read(uow, row)


def members(
    *, uow: UnitOfWork, segment_id: str, limit: int, cursor: str | None
) -> tuple[list[SegmentMemberRead], str | None]:
    with uow:
        if uow.session.get(CdpSegmentRow, segment_id) is None:
            raise NotFound(f"No segment {segment_id!r}")
        stmt = (
            select(CdpSegmentMemberRow)
            .where(CdpSegmentMemberRow.segment_id == segment_id)
            .order_by(CdpSegmentMemberRow.profile_id)
            .limit(limit + 1)
        )
        after = decode_cursor(cursor)
        if after:
            stmt = stmt.where(CdpSegmentMemberRow.profile_id > str(after[0]))
        rows = list(uow.session.scalars(stmt))
        page = [SegmentMemberRead(profile=r.profile_id, since=r.since) for r in rows[:limit]]
        return page, (encode_cursor([page[-1].profile]) if len(rows) > limit else None)
