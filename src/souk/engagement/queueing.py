"""Turning a trigger into queued messages: one row per journey, object and profile. The
unique `dedupe_key` makes this idempotent — a redelivered event, a scan that runs twice or
two workers racing insert nothing the second time — so a message is never queued (and so
never sent) twice for the same trigger and object."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from souk.db.base import new_id, table_of, utcnow
from souk.db.reference import ReferenceCache
from souk.db.uow import UnitOfWork
from souk.engagement.models import Status, Trigger
from souk.engagement.rows import insert_once
from souk.engagement.tables import JourneyRow, MessageRow


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A trigger that happened to one profile about one object."""

    trigger: Trigger
    profile_id: str
    object_id: str
    at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class LiveJourney:
    """What queueing needs of an active journey, kept by the process (`JOURNEYS`)."""

    id: str
    trigger: str
    segment: str | None
    channel: str
    purpose: str
    delay_s: int
    experiment_id: str | None


# Every placed order, abandoned cart and segment entry asks which journeys it starts;
# journeys change when a marketer saves one. Kept as reference data (souk.db.reference):
# the process that saves a journey forgets its copy at once, another uses it within
# SOUK_REFERENCE_CACHE_MS.
JOURNEYS = ReferenceCache("journeys")
_ACTIVE = (
    select(
        JourneyRow.id, JourneyRow.trigger, JourneyRow.segment, JourneyRow.channel,
        JourneyRow.purpose, JourneyRow.delay_s, JourneyRow.experiment_id,
    )
    .where(JourneyRow.active.is_(True))
    .order_by(JourneyRow.id)
)  # fmt: skip


def live_journeys(session: Session) -> tuple[LiveJourney, ...]:
    def load() -> tuple[LiveJourney, ...]:
        return tuple(LiveJourney(*row) for row in session.execute(_ACTIVE))

    return JOURNEYS.get(session, "active", load)


def starts_journeys(session: Session, trigger: Trigger) -> bool:
    """Whether an occurrence of `trigger` starts any active journey (from the process's
    copy): if not, queueing it would write nothing."""
    return any(j.trigger == trigger.value for j in live_journeys(session))


def queue(uow: UnitOfWork, occurrence: Occurrence) -> int:
    """Queue the occurrence's messages in the caller's open unit of work; returns how many
    were new."""
    s = uow.session
    journeys = [j for j in live_journeys(s) if j.trigger == occurrence.trigger.value]
    if occurrence.trigger is Trigger.SEGMENT_ENTERED:
        journeys = [j for j in journeys if j.segment == occurrence.segment]
    added = 0
    for journey in journeys:
        key = f"{journey.id}|{occurrence.object_id}|{occurrence.profile_id}"
        added += insert_once(
            s,
            MessageRow,
            {
                "id": new_id("msg"),
                "dedupe_key": key[:300],
                "journey_id": journey.id,
                "profile_id": occurrence.profile_id,
                "trigger": journey.trigger,
                "object_id": occurrence.object_id[:200],
                "channel": journey.channel,
                "purpose": journey.purpose,
                "status": Status.QUEUED.value,
                "context": occurrence.context,
                "send_after": occurrence.at + timedelta(seconds=journey.delay_s),
                "experiment_id": journey.experiment_id,
                "token": secrets.token_urlsafe(32),
                "attempts": 0,
                "links": [],
                "opens": 0,
                "clicks": 0,
                "created_at": utcnow(),
            },
        )
    return added


def queue_all(*, uow: UnitOfWork, occurrences: list[Occurrence]) -> int:
    with uow:
        added = sum(queue(uow, o) for o in occurrences)
        uow.commit()
        return added


def cancel_cart_reminders(uow: UnitOfWork, cart_id: str) -> int:
    """The cart checked out before its reminder left: the reminder is cancelled (the
    sender re-checks the cart too, for a checkout it has not heard of yet)."""
    result = uow.session.execute(_CANCEL_REMINDERS, {"cart": cart_id})
    return int(getattr(result, "rowcount", 0))


_messages = table_of(MessageRow)
# Built once, in Core: every placed order sends it (and nearly always changes nothing).
_CANCEL_REMINDERS = (
    update(_messages)
    .where(
        _messages.c.trigger == Trigger.CART_ABANDONED.value,
        _messages.c.object_id == bindparam("cart"),
        _messages.c.status == Status.QUEUED.value,
    )
    .values(status=Status.CANCELLED.value, reason="the cart checked out first")
)
