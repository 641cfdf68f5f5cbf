"""Reading profiles: the 360° view (identities, traits, computed traits, consents with
their history, segments, every channel's orders through `orders.queries`, recent events),
lookups by identifier, and the merge graph."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from souk.cdp.models import Identity, IdType, normalize
from souk.cdp.resolution import find_by_identity, root_of
from souk.cdp.schemas import (
    ConsentRead,
    IdentityRead,
    MergeRead,
    MergesRead,
    ProfileEventRead,
    ProfileRead,
)
from souk.cdp.tables import (
    CdpConsentRow,
    CdpEventRow,
    CdpIdentityRow,
    CdpMergeRow,
    CdpProfileOrderRow,
    CdpProfileRow,
    CdpSegmentMemberRow,
)
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.orders.queries import get_order

RECENT_EVENTS = 50
RECENT_ORDERS = 100


def _consents(session: Session, profile_id: str) -> tuple[list[ConsentRead], list[ConsentRead]]:
    rows = session.scalars(
        select(CdpConsentRow)
        .where(CdpConsentRow.profile_id == profile_id)
        .order_by(CdpConsentRow.recorded_at, CdpConsentRow.id)
    )
    history = [
        ConsentRead(
            purpose=r.purpose,
            channel=r.channel,
            granted=r.granted,
            source=r.source,
            recorded_at=r.recorded_at,
        )
        for r in rows
    ]
    current = {(c.purpose, c.channel): c for c in history}
    return sorted(current.values(), key=lambda c: (c.purpose, c.channel)), history


def profile_read(session: Session, profile_id: str) -> ProfileRead:
    root = root_of(session, profile_id)
    row = session.get(CdpProfileRow, root)
    if row is None:
        raise NotFound(f"No profile {profile_id!r}")
    identities = session.scalars(
        select(CdpIdentityRow).where(CdpIdentityRow.profile_id == root).order_by(CdpIdentityRow.id)
    )
    order_ids = session.scalars(
        select(CdpProfileOrderRow.order_id)
        .where(CdpProfileOrderRow.profile_id == root)
        .order_by(CdpProfileOrderRow.placed_at.desc())
        .limit(RECENT_ORDERS)
    )
    events = session.scalars(
        select(CdpEventRow)
        .where(CdpEventRow.profile_id == root)
        .order_by(CdpEventRow.timestamp.desc(), CdpEventRow.id.desc())
        .limit(RECENT_EVENTS)
    )
    consents, history = _consents(session, root)
    segments = session.scalars(
        select(CdpSegmentMemberRow.segment_id)
        .where(CdpSegmentMemberRow.profile_id == root)
        .order_by(CdpSegmentMemberRow.segment_id)
    )
    return ProfileRead(
        id=root,
        identities=[
            IdentityRead(type=i.type, value=i.value, source=i.source, added_at=i.created_at)
            for i in identities
        ],
        traits=row.traits,
        computed=row.computed,
        consents=consents,
        consent_history=history,
        segments=list(segments),
        orders=[get_order(session=session, order_id=o) for o in order_ids],
        events=[
            ProfileEventRead(
                message_id=e.message_id,
                type=e.type,
                event=e.event,
                source=e.source,
                timestamp=e.timestamp,
                properties=dict(e.payload.get("properties") or {}),
            )
            for e in events
        ],
        last_seen=row.last_seen,
        created_at=row.created_at,
    )


def get_profile(*, uow: UnitOfWork, profile_id: str) -> ProfileRead:
    with uow:
        return profile_read(uow.session, profile_id)


def find_profiles(*, uow: UnitOfWork, lookups: dict[str, str | None]) -> list[ProfileRead]:
    given = {k: v for k, v in lookups.items() if v is not None}
    if len(given) != 1:
        raise ValidationFailed(
            "Look a profile up by exactly one identifier",
            errors=[field_error("query", "give one of " + ", ".join(sorted(lookups)))],
        )
    ((kind, raw),) = given.items()
    value = normalize(IdType(kind), raw)
    with uow:
        if value is None:
            return []
        found = find_by_identity(uow.session, Identity(IdType(kind), value))
        return [profile_read(uow.session, found)] if found else []


def merges(*, uow: UnitOfWork, profile_id: str) -> MergesRead:
    """Every merge edge that touches this profile or anything merged into it."""
    with uow:
        s = uow.session
        root = root_of(s, profile_id)
        if s.get(CdpProfileRow, root) is None:
            raise NotFound(f"No profile {profile_id!r}")
        members = {root}
        frontier = [root]
        while frontier:
            children = list(
                s.scalars(select(CdpProfileRow.id).where(CdpProfileRow.merged_into.in_(frontier)))
            )
            frontier = [c for c in children if c not in members]
            members.update(frontier)
        rows = s.scalars(
            select(CdpMergeRow)
            .where(
                or_(
                    CdpMergeRow.into_profile_id.in_(members),
                    CdpMergeRow.merged_profile_id.in_(members),
                )
            )
            .order_by(CdpMergeRow.id)
        )
        return MergesRead(
            profile=root,
            merges=[
                MergeRead(
                    into=m.into_profile_id,
                    merged=m.merged_profile_id,
                    reason=m.reason,
                    identity={"type": m.identity_type, "value": m.identity_value},
                    message_id=m.message_id,
                    at=m.created_at,
                    undone_at=m.undone_at,
                )
                for m in rows
            ],
        )
