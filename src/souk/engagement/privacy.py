"""Engagement's part of a privacy request (registered with `souk.cdp.privacy` by
`souk.wiring`), over the profile and every profile merged into it.

Export: every message queued for the person — what it said, to which address, why it was
or was not sent, its opens, clicks and unsubscribe link — the journeys they were enrolled
in by those messages, and their experiment exposures.

Erasure, in the caller's transaction: a message still waiting is cancelled (it never
leaves); every message loses its address, subject, body, links and context (cart, order,
pickup code); its token is replaced, so the unsubscribe and tracking links in mail already
delivered lead nowhere; the times of opens, clicks and unsubscribing go. What stays is
pseudonymous and keeps the journeys' and experiments' figures adding up: the message's
journey, trigger, channel, status and counts, and the exposures."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from souk.cdp.privacy import Seeds
from souk.engagement.messages import message_read
from souk.engagement.models import Status
from souk.engagement.sending import Rules
from souk.engagement.tables import ExposureRow, JourneyRow, MessageRow

WAITING = (Status.QUEUED.value,)


def export_messages(session: Session, profile_ids: set[str]) -> dict[str, Any]:
    base = Rules.from_settings(session.info["database"].settings).public_url
    rows = list(
        session.scalars(
            select(MessageRow)
            .where(MessageRow.profile_id.in_(profile_ids))
            .order_by(MessageRow.created_at, MessageRow.id)
        )
    )
    journeys = {r.journey_id for r in rows}
    exposures = session.scalars(
        select(ExposureRow)
        .where(ExposureRow.profile_id.in_(profile_ids))
        .order_by(ExposureRow.exposed_at, ExposureRow.id)
    )
    return {
        "messages": [
            {
                **message_read(r).model_dump(mode="json"),
                "body": r.body,
                "links": list(r.links),
                "unsubscribe_url": f"{base}/v1/unsubscribe/{r.token}",
            }
            for r in rows
        ],
        "journeys": [
            {"id": j.id, "name": j.name, "trigger": j.trigger, "channel": j.channel}
            for j in session.scalars(
                select(JourneyRow).where(JourneyRow.id.in_(journeys)).order_by(JourneyRow.id)
            )
        ],
        "experiment_exposures": [
            {
                "experiment": e.experiment_id,
                "variant": e.variant,
                "exposed_at": e.exposed_at.isoformat(),
                "converted_order": e.converted_order,
                "converted_at": e.converted_at.isoformat() if e.converted_at else None,
            }
            for e in exposures
        ],
    }


def erase_messages(session: Session, seeds: Seeds) -> dict[str, int]:
    if not seeds.profile_ids:
        return {}  # no profile, no messages: and "nothing found" stays a 404
    mine = MessageRow.profile_id.in_(seeds.profile_ids)
    cancelled = session.execute(
        update(MessageRow)
        .where(mine, MessageRow.status.in_(WAITING))
        .values(status=Status.CANCELLED.value, reason="the person's data was erased")
    )
    erased = 0
    for row in session.scalars(select(MessageRow).where(mine)):
        row.recipient = row.subject = row.body = row.last_error = None
        row.links, row.context = [], {}
        row.token = secrets.token_urlsafe(32)
        row.first_opened_at = row.first_clicked_at = row.unsubscribed_at = None
        erased += 1
    session.flush()
    return {
        "messages": erased,
        "messages_cancelled": int(getattr(cancelled, "rowcount", 0) or 0),
    }
