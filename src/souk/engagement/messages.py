"""Reading messages: what was sent to whom, when, why, and what happened to it."""

from __future__ import annotations

from sqlalchemy import select

from souk.api.pagination import decode_cursor, encode_cursor
from souk.cdp import queries as cdp
from souk.db.uow import UnitOfWork
from souk.engagement.schemas import MessageRead
from souk.engagement.tables import MessageRow
from souk.errors import NotFound


def message_read(row: MessageRow) -> MessageRead:
    return MessageRead(
        id=row.id, journey=row.journey_id, profile=row.profile_id, trigger=row.trigger,
        object=row.object_id, channel=row.channel, status=row.status,
        reason=row.reason, send_after=row.send_after, sent_at=row.sent_at,
        recipient=row.recipient, locale=row.locale, subject=row.subject,
        experiment=row.experiment_id, variant=row.variant, coupon_code=row.coupon_code,
        opens=row.opens, clicks=row.clicks, first_opened_at=row.first_opened_at,
        first_clicked_at=row.first_clicked_at, unsubscribed_at=row.unsubscribed_at,
        created_at=row.created_at,
    )  # fmt: skip


def list_messages(
    *,
    uow: UnitOfWork,
    profile: str | None,
    journey: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[MessageRead], str | None]:
    with uow:
        stmt = select(MessageRow).order_by(MessageRow.id.desc()).limit(limit + 1)
        if profile is not None:
            # A merged profile's messages are under the survivor.
            stmt = stmt.where(MessageRow.profile_id == (cdp.root(uow.session, profile) or profile))
        if journey is not None:
            stmt = stmt.where(MessageRow.journey_id == journey)
        if status is not None:
            stmt = stmt.where(MessageRow.status == status)
        after = decode_cursor(cursor)
        if after:
            stmt = stmt.where(MessageRow.id < str(after[0]))
        rows = list(uow.session.scalars(stmt))
        page = [message_read(r) for r in rows[:limit]]
        return page, (encode_cursor([page[-1].id]) if len(rows) > limit else None)


def get_message(*, uow: UnitOfWork, message_id: str) -> MessageRead:
    with uow:
        row = uow.session.get(MessageRow, message_id)
        if row is None:
            raise NotFound(f"No message {message_id!r}")
        return message_read(row)
