"""Ingesting Segment messages: one transaction per call (a batch is one) or, for the
staged calls a worker takes (`inbox.py`), per chunk of calls; de-duplicated by `messageId`
per source, each message resolved to a profile, its traits folded in, and the touched
profiles' computed traits and segments brought up to date before the commit.

A message that Segment would refuse is dropped from a batch — the rest of the batch is
kept, as Segment does — and refused with a 400 when it was sent alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from souk.cdp import profiles
from souk.cdp.bulk import Among, insert_rows
from souk.cdp.errors import IngestRejected
from souk.cdp.identity_view import IdentityView
from souk.cdp.models import (
    MAX_MESSAGE_BYTES,
    Identity,
    MessageInvalid,
    corrected_timestamp,
    parse_time,
    proves_identity,
    validated,
)
from souk.cdp.resolution import resolve, saw
from souk.cdp.tables import CdpEventRow, CdpInboxRow, CdpProfileRow
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork

log = logging.getLogger(__name__)
# A race on a new identifier or messageId loses to the other writer's commit; the batch is
# replayed and then finds what the winner wrote.
ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Call:
    """One tracking call as it was received: a batch's messages (or one message), the
    batch's `sentAt`, the write key's channel and when the call arrived. `size` is the
    inflated body's length: a body within 32 KB holds no message over it."""

    source: str
    messages: list[Any]
    received_at: datetime
    sent_at: object = None
    size: int | None = None


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)


@dataclass(slots=True)  # not frozen: its __init__ then assigns plainly, once per message
class Checked:
    """A message that passed `validate`, with its traits and what came with its call:
    `sent_at` is the message's own `sentAt`, else its batch's, parsed."""

    source: str
    message: dict[str, Any]
    identities: list[Identity]
    traits: dict[str, Any]
    sent_at: datetime | None
    received_at: datetime
    # `received_at` in ISO format, as every payload of the call holds it: made once per call.
    received_text: str


def ingest(
    *,
    uow_factory: Callable[[], UnitOfWork],
    source: str,
    messages: list[Any],
    sent_at: object = None,
    single: bool = False,
) -> IngestResult:
    """Store `messages` from `source` (the write key's channel). `uow_factory()` gives a
    fresh unit of work per attempt; there is one transaction per call."""
    call = Call(source=source, messages=messages, sent_at=sent_at, received_at=utcnow())
    return store(uow_factory=uow_factory, calls=[call], single=single)


def store(
    *, uow_factory: Callable[[], UnitOfWork], calls: list[Call], single: bool = False
) -> IngestResult:
    """Store every message of `calls` in one transaction, replayed on a race. `single`: a
    bad message is refused (IngestRejected) rather than dropped, as for a call of one
    message."""
    valid, result = check(calls, single=single)
    for attempt in range(ATTEMPTS):
        try:
            with uow_factory() as uow:
                stored = write(uow, valid)
                uow.commit()
        except (IntegrityError, OperationalError):
            if attempt == ATTEMPTS - 1:
                raise
            log.info("ingest batch raced another writer; replaying (attempt %s)", attempt + 2)
            continue
        result.accepted, result.duplicates, result.profiles = stored
        return result
    raise AssertionError("unreachable")


def check(calls: list[Call], *, single: bool = False) -> tuple[list[Checked], IngestResult]:
    """The messages Segment would take, with their identifiers; the others are dropped
    (recorded in the result) or, with `single`, refused."""
    valid: list[Checked] = []
    result = IngestResult()
    for call in calls:
        sized = call.size is not None and call.size <= MAX_MESSAGE_BYTES
        sent_at = parse_time(call.sent_at)  # once per call, not per message
        received_text = call.received_at.isoformat()
        for index, message in enumerate(call.messages):
            try:
                identities, traits = validated(message, sized=sized)
            except MessageInvalid as exc:
                if single:
                    raise IngestRejected(str(exc)) from exc
                result.dropped.append({"index": index, "reason": str(exc)})
                continue
            own = message.get("sentAt")
            valid.append(
                Checked(
                    call.source,
                    message,
                    identities,
                    traits,
                    sent_at if own is None else parse_time(own) or sent_at,
                    call.received_at,
                    received_text,
                )
            )
    return valid, result


# The messageIds of a source already stored, among some.
_KNOWN = Among(
    [CdpEventRow.message_id], CdpEventRow.message_id, CdpEventRow.source == bindparam("source")
)


def _known(s: Session, messages: list[Checked], ids: list[str]) -> set[tuple[str, str]]:
    """The (source, messageId) pairs already stored: one look-up per source."""
    by_source: dict[str, list[str]] = {}
    for item, message_id in zip(messages, ids, strict=True):
        by_source.setdefault(item.source, []).append(message_id)
    known: set[tuple[str, str]] = set()
    for source, wanted in by_source.items():
        for start in range(0, len(wanted), 1000):
            found = _KNOWN(s, wanted[start : start + 1000], source=source).scalars()
            known.update((source, m) for m in found)
    return known


def write(uow: UnitOfWork, messages: list[Checked]) -> tuple[int, int, list[str]]:
    """Store `messages` in the open unit of work, which the caller commits: returns how
    many were accepted, how many were duplicates, and the profiles they reached."""
    s = uow.session
    now = utcnow()
    ids = [m.message.get("messageId") or new_id("msg") for m in messages]
    known = _known(s, messages, ids)
    accepted = duplicates = 0
    touched: set[str] = set()
    resolved: dict[tuple[frozenset[Identity], bool], CdpProfileRow] = {}
    rows: list[dict[str, Any]] = []
    # Every claim of the batch in one look-up: resolution then runs from memory.
    view = IdentityView(s)
    view.prime(i.claim for m in messages for i in m.identities if i.claim is not None)
    # What the messages tell a profile (its latest time, its traits), gathered and set on
    # the row before anything reads it — a resolution, which may merge it, and the end —
    # rather than through the ORM's instrumented attributes once per message.
    seen: dict[CdpProfileRow, datetime] = {}
    learnt: dict[CdpProfileRow, dict[str, Any]] = {}

    def settle() -> None:
        for row, latest in seen.items():
            saw(row, latest)
        for row, traits in learnt.items():
            row.traits = {**row.traits, **traits}
        seen.clear()
        learnt.clear()

    for item, message_id in zip(messages, ids, strict=True):
        message = item.message
        pair = (item.source, message_id)
        if pair in known:
            duplicates += 1
            continue
        known.add(pair)
        stamp, device_stamp = message.get("timestamp"), message.get("originalTimestamp")
        if stamp is None and device_stamp is None:
            timestamp = item.received_at  # most messages: the server's clock, no correction
        else:
            original = parse_time(stamp) or parse_time(device_stamp)
            timestamp = corrected_timestamp(
                received_at=item.received_at, sent_at=item.sent_at, original=original
            )
        proves = proves_identity(message)
        # A visitor sends many calls per batch with the same identifiers: once resolved,
        # they name the same profile until a merge moves it.
        key = (frozenset(item.identities), proves)
        profile = resolved.get(key)
        if profile is None or profile.merged_into is not None:
            settle()
            profile = resolve(
                s,
                identities=item.identities,
                proves=proves,
                reason=str(message["type"]),
                message_id=message_id,
                now=now,
                emit=uow.emit,
                view=view,
            )
            resolved[key] = profile
        profile_id = profile.id
        rows.append(
            event_values(
                item.source,
                message_id,
                message,
                profile_id,
                timestamp,
                item.received_at,
                received_text=item.received_text,
            )
        )
        latest = seen.get(profile)
        if latest is None or timestamp > latest:
            seen[profile] = timestamp
        traits = item.traits
        if traits:
            learnt[profile] = {**learnt.get(profile, {}), **traits}
        touched.add(profile_id)
        accepted += 1
    settle()
    if view.merged:
        for row in rows:
            # A later message of the batch may have merged the profile an event was filed
            # under; the event follows it, and remembers where it was born.
            row["profile_id"] = view.current(row["origin_profile_id"])
    roots = {p: view.profile(p) for p in {view.current(t) for t in touched}}
    with s.no_autoflush:
        # Nothing here needs the new ids: no RETURNING, and COPY on PostgreSQL. Events
        # before the refresh, which reads them (segment rules, ROPO).
        insert_rows(s, "cdp_events", rows)
        # The profiles this batch started are still pending: refreshed before their
        # INSERT, each is written once with its computed traits, not inserted then updated.
        refreshed = profiles.refresh(uow, roots, now=now, roots=roots)
    view.flush(last=True)
    return accepted, duplicates, refreshed


def event_values(
    source: str,
    message_id: str,
    message: dict[str, Any],
    profile_id: str,
    timestamp: datetime,
    received_at: datetime,
    *,
    received_text: str | None = None,
) -> dict[str, Any]:
    """The columns of the `cdp_events` row that keeps `message` as received.
    `received_text`: `received_at` in ISO format, when the caller has it already."""
    received = received_at.isoformat() if received_text is None else received_text
    at = received if timestamp is received_at else timestamp.isoformat()
    payload = {**message, "messageId": message_id, "timestamp": at, "receivedAt": received}
    kind = message.get("type")
    original = message.get("timestamp")
    if original is not None:
        payload["originalTimestamp"] = original
    event = message.get("event") if kind == "track" else message.get("name")
    user_id, anonymous_id = message.get("userId"), message.get("anonymousId")
    return {
        "source": source,
        "message_id": message_id,
        "type": str(kind),
        "event": str(event)[:200] if event is not None else None,
        "user_id": str(user_id)[:200] if user_id is not None else None,
        "anonymous_id": str(anonymous_id)[:200] if anonymous_id is not None else None,
        "profile_id": profile_id,
        "origin_profile_id": profile_id,
        "timestamp": timestamp,
        "received_at": received_at,
        "payload": payload,
    }


def record_event(
    uow: UnitOfWork,
    *,
    source: str,
    message_id: str,
    message: dict[str, Any],
    profile_id: str,
    timestamp: datetime,
    received_at: datetime,
) -> CdpEventRow:
    row = CdpEventRow(
        **event_values(
            source=source,
            message_id=message_id,
            message=message,
            profile_id=profile_id,
            timestamp=timestamp,
            received_at=received_at,
        )
    )
    uow.session.add(row)
    profile = uow.session.get(profiles.CdpProfileRow, profile_id)
    if profile is not None:
        saw(profile, timestamp)
    return row


def purge_expired(*, uow: UnitOfWork, retention_days: int, now: datetime | None = None) -> int:
    """Delete raw events received more than `retention_days` ago, and staged calls set
    aside as long ago (their bodies are raw events too); the profiles keep what was learnt
    from them (identities, traits, orders). Returns how many events were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with uow:
        ids = list(
            uow.session.scalars(select(CdpEventRow.id).where(CdpEventRow.received_at < cutoff))
        )
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            uow.session.execute(delete(CdpEventRow).where(CdpEventRow.id.in_(chunk)))
        uow.session.execute(delete(CdpInboxRow).where(CdpInboxRow.received_at < cutoff))
        uow.commit()
        return len(ids)
