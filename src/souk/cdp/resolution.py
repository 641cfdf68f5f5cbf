"""Identity resolution inside the caller's transaction: find or start the profile that a
set of identifiers names, merge profiles only on a link that proves identity, and keep
every merge as an edge of a graph with its reason.

Identities always point at the surviving (root) profile; `origin_profile_id` remembers
where each identity, event, order and consent was born, which is what makes a merge
reversible (see `unmerge.py`). Helpers here never commit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from souk.cdp.identity_view import IdentityView
from souk.cdp.models import LIMITS, PRIORITY, Identity, IdType
from souk.cdp.tables import (
    CdpConsentRow,
    CdpEventRow,
    CdpIdentityRow,
    CdpMergeRow,
    CdpProfileOrderRow,
    CdpProfileRow,
    CdpSegmentMemberRow,
)
from souk.db.base import new_id

Emit = Callable[[str, dict[str, Any]], None]
# Rows whose owner moves with a merge; each has `profile_id` and `origin_profile_id`.
OWNED = (CdpIdentityRow, CdpEventRow, CdpProfileOrderRow, CdpConsentRow)


def new_profile(session: Session, now: datetime, view: IdentityView | None = None) -> CdpProfileRow:
    row = CdpProfileRow(
        id=new_id("prof"), traits={}, computed={}, last_seen=None, created_at=now, updated_at=now
    )
    session.add(row)
    if view is not None:
        view.started(row)
    return row


def saw(profile: CdpProfileRow, at: datetime | None) -> None:
    """The profile was last seen at `at`, if that is later than what it knew."""
    if at is not None and (profile.last_seen is None or at > profile.last_seen):
        profile.last_seen = at


def root_of(session: Session, profile_id: str) -> str:
    """The profile that `profile_id` now lives in (itself unless merged). Rows already in
    the session answer without a statement: merges and unmerges set `merged_into` on them."""
    seen = {profile_id}
    current = profile_id
    while True:
        row = session.get(CdpProfileRow, current)
        parent = row.merged_into if row is not None else None
        if parent is None or parent in seen:
            return current
        seen.add(parent)
        current = parent


def _separated(session: Session, a: str, b: str) -> bool:
    """An operator undid a merge of these two: a later message must not redo it."""
    found = session.scalar(
        select(CdpMergeRow.id).where(
            CdpMergeRow.undone_at.is_not(None),
            or_(
                (CdpMergeRow.into_profile_id == a) & (CdpMergeRow.merged_profile_id == b),
                (CdpMergeRow.into_profile_id == b) & (CdpMergeRow.merged_profile_id == a),
            ),
        )
    )
    return found is not None


def merge(
    session: Session,
    *,
    into: CdpProfileRow,
    merged: CdpProfileRow,
    reason: str,
    via: Identity,
    message_id: str | None,
    now: datetime,
    emit: Emit,
    view: IdentityView | None = None,
) -> None:
    if view is not None:
        view.moved(merged.id, into.id)
    for table in OWNED:
        session.execute(
            update(table).where(table.profile_id == merged.id).values(profile_id=into.id)
        )
    session.execute(delete(CdpSegmentMemberRow).where(CdpSegmentMemberRow.profile_id == merged.id))
    into.traits = {**merged.traits, **into.traits}
    saw(into, merged.last_seen)
    into.updated_at = now
    merged.merged_into = into.id
    merged.updated_at = now
    session.add(
        CdpMergeRow(
            into_profile_id=into.id,
            merged_profile_id=merged.id,
            reason=reason,
            identity_type=via.type.value,
            identity_value=via.value,
            message_id=message_id,
            created_at=now,
        )
    )
    emit(
        "profile.merged",
        {"profile": into.id, "merged": merged.id, "reason": reason, "identity": via.type.value},
    )


def _fits(counts: Counter[str], extra: Iterable[str]) -> bool:
    total = counts + Counter(extra)
    return all(total[kind.value] <= LIMITS[kind] for kind in IdType)


def resolve(
    session: Session,
    *,
    identities: list[Identity],
    proves: bool,
    reason: str,
    message_id: str | None,
    now: datetime,
    emit: Emit,
    view: IdentityView | None = None,
) -> CdpProfileRow:
    """The profile these identifiers name, after any merge they prove; it holds every one
    of them that fits its limits. A batch passes one `view` for all its messages."""
    if view is None:
        own = IdentityView(session)
        resolved = resolve(session, identities=identities, proves=proves, reason=reason,
                           message_id=message_id, now=now, emit=emit, view=own)  # fmt: skip
        own.flush()
        return resolved
    ordered = sorted(identities, key=lambda i: PRIORITY.index(i.type))
    owner_of = view.owners(i.claim for i in ordered if i.claim is not None)
    owners: list[tuple[str, Identity]] = []
    for identity in ordered:
        owner = owner_of.get(identity.claim or "")
        if owner is not None and owner not in [o for o, _ in owners]:
            owners.append((owner, identity))
    if not proves:
        # Without a sign-in, only the browser's own anonymous id may find a profile: an
        # email typed into a form proves nothing about who is at the keyboard.
        owners = [(o, via) for o, via in owners if via.type is IdType.ANONYMOUS_ID]
    if not owners:
        target = new_profile(session, now, view)
    else:
        found = view.profile(owners[0][0])
        assert found is not None
        target = found
        if _belongs_elsewhere(view, target, owners[0][1], ordered, owner_of):
            # A second user id arriving with the first one's anonymous id (another person on
            # the same browser): as Segment Unify does, the lower-priority identifier is let
            # go and the higher one starts a profile of its own.
            fresh = [i for i in ordered if i.claim is None or i.claim not in owner_of]
            target = new_profile(session, now, view)
            _attach(session, view, target, fresh, owner_of, now=now, source=reason)
            return target
    if proves:
        for owner, via in owners[1:]:
            other = view.profile(owner)
            if other is None or _separated(session, target.id, other.id):
                continue
            their = view.counts(other.id)
            if not _fits(view.counts(target.id), their.elements()):
                continue  # two user ids, say: two people, whatever else they share
            merge(
                session,
                into=target,
                merged=other,
                reason=reason,
                via=via,
                message_id=message_id,
                now=now,
                emit=emit,
                view=view,
            )
    _attach(session, view, target, ordered, owner_of, now=now, source=reason)
    return target


def _belongs_elsewhere(
    view: IdentityView,
    target: CdpProfileRow,
    via: Identity,
    identities: list[Identity],
    owner_of: dict[str, str],
) -> bool:
    """Whether an unowned identifier ranked at or above the one that found `target` no
    longer fits in it (its type is at its limit there)."""
    counts = view.counts(target.id)
    rank = PRIORITY.index(via.type)
    return any(
        PRIORITY.index(i.type) <= rank and counts[i.type.value] >= LIMITS[i.type]
        for i in identities
        if i.claim is not None and i.claim not in owner_of
    )


def _attach(
    session: Session,
    view: IdentityView,
    target: CdpProfileRow,
    identities: list[Identity],
    owner_of: dict[str, str],
    *,
    now: datetime,
    source: str,
) -> None:
    held = view.held(target.id)
    counts = view.counts(target.id)
    for identity in identities:
        key = (identity.type.value, identity.value)
        if key in held or (identity.claim is not None and identity.claim in owner_of):
            continue  # ours already, or another person's that this message may not take
        if counts[identity.type.value] >= LIMITS[identity.type]:
            continue
        row: dict[str, object] = {
            "profile_id": target.id,
            "origin_profile_id": target.id,
            "type": identity.type.value,
            "value": identity.value,
            "claim": identity.claim,
            "source": source,
            "created_at": now,
        }
        view.added(target.id, identity, row)
        counts[identity.type.value] += 1


def find_by_identity(session: Session, identity: Identity) -> str | None:
    stmt = select(CdpIdentityRow.profile_id).where(
        CdpIdentityRow.type == identity.type.value, CdpIdentityRow.value == identity.value
    )
    return session.scalars(stmt.order_by(CdpIdentityRow.id)).first()
