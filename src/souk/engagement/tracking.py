"""What a recipient does with a message, through its unguessable token: a one-click
unsubscribe (RFC 8058) that records the consent withdrawal in the profile's history, the
open pixel and the click redirect, each recorded on the message and as an event on the
profile (Email Opened, Email Link Clicked), so that segments can use them."""

from __future__ import annotations

from sqlalchemy import select

from souk.cdp import queries as cdp
from souk.cdp.consents import record_consents
from souk.cdp.schemas import ConsentUpdate
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.engagement.tables import MessageRow
from souk.errors import NotFound

EVENT_NAMES = {"email": "Email", "sms": "SMS", "push": "Push"}


def _by_token(uow: UnitOfWork, token: str) -> MessageRow:
    row = uow.session.scalars(select(MessageRow).where(MessageRow.token == token)).first()
    if row is None:
        raise NotFound("No such message")
    return row


def unsubscribe(*, db: Database, token: str) -> None:
    """Withdraw the message's purpose on its channel. Repeating it changes nothing."""
    with UnitOfWork(db) as uow:
        row = _by_token(uow, token)
        if row.unsubscribed_at is not None:
            return
        profile, purpose, channel, message_id = row.profile_id, row.purpose, row.channel, row.id
    record_consents(
        uow=UnitOfWork(db),
        profile_id=profile,
        consents=[
            ConsentUpdate(
                purpose=purpose,
                channel=channel,
                granted=False,
                source=f"one-click unsubscribe ({message_id})",
            )
        ],
    )
    with UnitOfWork(db) as uow:
        row = _by_token(uow, token)
        row.unsubscribed_at = row.unsubscribed_at or utcnow()
        _note(uow, row, "Unsubscribed", "unsubscribed", purpose=purpose)
        uow.commit()


def _note(uow: UnitOfWork, row: MessageRow, what: str, key: str, **properties: object) -> None:
    """An engagement event on the profile, once per message (and link)."""
    cdp.record_engagement(
        uow=uow,
        profile_id=row.profile_id,
        message_id=f"message.{key}:{row.id}",
        event=f"{EVENT_NAMES[row.channel]} {what}",
        properties={"message_id": row.id, "journey": row.journey_id, **properties},
    )


def opened(*, db: Database, token: str) -> None:
    with UnitOfWork(db) as uow:
        row = _by_token(uow, token)
        row.opens += 1
        row.first_opened_at = row.first_opened_at or utcnow()
        _note(uow, row, "Opened", "opened", variant=row.variant)
        uow.commit()


def clicked(*, db: Database, token: str, link: int) -> str:
    """The link's target, after counting the click. Only links the message carried can be
    followed, so the redirect is not an open one."""
    with UnitOfWork(db) as uow:
        row = _by_token(uow, token)
        if not 0 <= link < len(row.links):
            raise NotFound("No such link in this message")
        url = row.links[link]
        now = utcnow()
        row.clicks += 1
        row.first_clicked_at = row.first_clicked_at or now
        # A click implies the message was opened, even with images blocked.
        row.first_opened_at = row.first_opened_at or now
        _note(uow, row, "Link Clicked", f"clicked:{link}", url=url)
        uow.commit()
        return url
