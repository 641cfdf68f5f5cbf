"""Keeping profiles current inside the caller's transaction: computed traits and segment
membership of the profiles an event touched are brought up to date before the commit, and
every membership change leaves as an event (`segment.entered`, `segment.exited`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from souk.cdp import rules
from souk.cdp.bulk import Among
from souk.cdp.computed import OrderFact, Touch, compute, ropo
from souk.cdp.resolution import root_of
from souk.cdp.tables import (
    CdpEventRow,
    CdpProfileOrderRow,
    CdpProfileRow,
    CdpSegmentMemberRow,
    CdpSegmentRow,
)
from souk.db.reference import ReferenceCache
from souk.db.uow import UnitOfWork

__all__ = ["CdpProfileRow", "events_for_rules", "order_facts", "refresh"]
MAX_RULE_EVENTS = 5_000
_o = CdpProfileOrderRow
# The orders of some profiles, oldest first, and their segments.
_ORDERS = Among(
    [_o.profile_id, _o.channel, _o.source, _o.currency, _o.total, _o.placed_at, _o.categories,
     _o.returned, _o.order_id],
    _o.profile_id,
    order_by=["placed_at", "order_id"],
)  # fmt: skip
_MEMBERS = Among(
    [CdpSegmentMemberRow.profile_id, CdpSegmentMemberRow.segment_id],
    CdpSegmentMemberRow.profile_id,
)


@dataclass(frozen=True, slots=True)
class LiveSegment:
    id: str
    rule: dict[str, Any]


# Every event that touches a profile re-checks it against every segment; segments change
# a few times a month (created, never edited). Each process keeps the list for
# SOUK_REFERENCE_CACHE_MS; the one that creates a segment forgets its copy at commit, and
# another checks profiles against it within that time (a profile an event touched meanwhile
# is put right by its next event or by the creation's own pass over every profile).
SEGMENTS = ReferenceCache("segments")
_SEGMENTS = select(CdpSegmentRow.id, CdpSegmentRow.rule).order_by(CdpSegmentRow.id)


def live_segments(session: Session) -> tuple[LiveSegment, ...]:
    def load() -> tuple[LiveSegment, ...]:
        return tuple(LiveSegment(str(i), dict(rule)) for i, rule in session.execute(_SEGMENTS))

    return SEGMENTS.get(session, "all", load)


def order_facts(session: Session, profile_id: str) -> list[OrderFact]:
    return order_facts_of(session, [profile_id])[profile_id]


def order_facts_of(session: Session, profile_ids: list[str]) -> dict[str, list[OrderFact]]:
    """The orders of several profiles in one statement (a batch touches many)."""
    facts: dict[str, list[OrderFact]] = {p: [] for p in profile_ids}
    if not profile_ids:
        return facts
    rows = _ORDERS(session, profile_ids)
    for r in rows:
        facts[r.profile_id].append(
            OrderFact(
                channel=r.channel,
                source=r.source,
                currency=r.currency,
                total=r.total,
                placed_at=r.placed_at,
                categories=tuple(r.categories),
                returned=r.returned,
            )
        )
    return facts


def _memberships(session: Session, profile_ids: list[str]) -> dict[str, set[str]]:
    current: dict[str, set[str]] = {p: set() for p in profile_ids}
    if profile_ids:
        rows = _MEMBERS(session, profile_ids)
        for profile_id, segment_id in rows:
            current[profile_id].add(segment_id)
    return current


def events_for_rules(
    session: Session, profile_id: str, *, days: int, now: datetime
) -> list[rules.EventFact]:
    if days <= 0:
        return []
    rows = session.execute(
        select(CdpEventRow.event, CdpEventRow.timestamp, CdpEventRow.payload)
        .where(
            CdpEventRow.profile_id == profile_id,
            CdpEventRow.type == "track",
            CdpEventRow.timestamp >= now - timedelta(days=days),
        )
        .order_by(CdpEventRow.timestamp.desc())
        .limit(MAX_RULE_EVENTS)
    )
    return [
        rules.EventFact(name or "", ts, dict(payload.get("properties") or {}))
        for name, ts, payload in rows
    ]


def _touches(session: Session, profile_id: str) -> tuple[list[Touch], list[Touch]]:
    """Online product views and in-store purchases, by SKU, for ROPO attribution."""
    rows = session.execute(
        select(CdpEventRow.event, CdpEventRow.source, CdpEventRow.timestamp, CdpEventRow.payload)
        .where(
            CdpEventRow.profile_id == profile_id,
            CdpEventRow.event.in_(["Product Viewed", "Order Completed"]),
        )
        .order_by(CdpEventRow.timestamp.desc())
        .limit(MAX_RULE_EVENTS)
    )
    views: list[Touch] = []
    bought: list[Touch] = []
    for event, source, ts, payload in rows:
        props = payload.get("properties") or {}
        if event == "Product Viewed" and isinstance(props.get("sku"), str):
            views.append(Touch(props["sku"], ts))
        elif event == "Order Completed" and source == "souk" and props.get("source") == "pos":
            for product in props.get("products") or []:
                if isinstance(product, dict) and isinstance(product.get("sku"), str):
                    bought.append(Touch(product["sku"], ts))
    return views, bought


def refresh(
    uow: UnitOfWork,
    profile_ids: Iterable[str],
    *,
    now: datetime,
    roots: dict[str, CdpProfileRow | None] | None = None,
    placed: Mapping[str, list[OrderFact]] | None = None,
    fresh: Collection[str] = (),
) -> list[str]:
    """Recompute and re-segment the (root) profiles of `profile_ids`; returns the roots.
    A caller that holds the root rows already passes them as `roots` (their ids are then
    `profile_ids`): nothing is flushed or read for them, so rows still pending are written
    once, with their computed traits, by the caller's next flush. Such a caller also passes
    the orders it has not written yet (`placed`, by profile) and the profiles it made in
    this transaction (`fresh`: nothing of theirs is stored to read)."""
    s = uow.session
    if roots is None:
        s.flush()
        ids = sorted({root_of(s, p) for p in profile_ids})
        # Held here: the session keeps unchanged rows only weakly, so a row read by
        # `root_of` and let go would be read again below.
        held = [s.get(CdpProfileRow, p) for p in ids]
    else:
        ids = sorted(roots)
        held = [roots[p] for p in ids]
    segments = live_segments(s)
    stored = [p for p in ids if p not in fresh]
    all_facts: dict[str, list[OrderFact]] = {p: [] for p in ids}
    all_facts.update(order_facts_of(s, stored))
    members: dict[str, set[str]] = {p: set() for p in ids}
    if segments:
        members.update(_memberships(s, stored))
    for profile_id, profile in zip(ids, held, strict=True):
        if profile is None:
            continue
        facts = [*all_facts[profile_id], *(placed or {}).get(profile_id, [])]
        computed = compute(facts, last_seen=profile.last_seen, now=now)
        if any(f.source == "pos" for f in facts):
            computed["ropo"] = ropo(*_touches(s, profile_id))
        profile.computed = computed
        profile.updated_at = now
        if segments:
            resegment(uow, profile, segments, now=now, current=members[profile_id])
    return ids


def resegment(
    uow: UnitOfWork,
    profile: CdpProfileRow,
    segments: Iterable[LiveSegment | CdpSegmentRow],
    *,
    now: datetime,
    current: set[str] | None = None,
) -> None:
    s = uow.session
    segments = list(segments)
    window = max(rules.event_window_days(seg.rule) for seg in segments)
    events = events_for_rules(s, profile.id, days=window, now=now)
    if current is None:
        current = _memberships(s, [profile.id])[profile.id]
    for segment in segments:
        member = rules.evaluate(
            segment.rule, traits=profile.traits, computed=profile.computed, events=events, now=now
        )
        change = _membership_change(segment.id, profile.id, member, current)
        if change == "entered":
            s.add(CdpSegmentMemberRow(segment_id=segment.id, profile_id=profile.id, since=now))
        elif change == "exited":
            s.execute(
                delete(CdpSegmentMemberRow).where(
                    CdpSegmentMemberRow.segment_id == segment.id,
                    CdpSegmentMemberRow.profile_id == profile.id,
                )
            )
        if change is not None:
            payload: dict[str, Any] = {"segment": segment.id, "profile": profile.id}
            uow.emit(f"segment.{change}", payload)


def _membership_change(
    segment_id: str, profile_id: str, member: bool, current: set[str]
) -> str | None:
    if member and segment_id not in current:
        return "entered"
    if not member and segment_id in current:
        return "exited"
    return None
