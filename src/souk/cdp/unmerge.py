"""Undoing a wrong merge: the identity names the profile it was born in; that profile (and
whatever had been merged into it before) comes back out of the survivor with exactly the
identities, events, orders and consents that were born there. Both profiles' traits are
rebuilt from their own identify calls, so neither keeps the other's data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from souk.cdp import profiles
from souk.cdp.models import Identity, IdType, normalize, traits_of
from souk.cdp.resolution import OWNED, root_of
from souk.cdp.tables import CdpEventRow, CdpIdentityRow, CdpMergeRow, CdpProfileRow
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound, ValidationFailed, field_error


def _subtree(session: Session, top: str) -> set[str]:
    found, frontier = {top}, [top]
    while frontier:
        children = list(
            session.scalars(select(CdpProfileRow.id).where(CdpProfileRow.merged_into.in_(frontier)))
        )
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return found


def rebuild_traits(session: Session, profile: CdpProfileRow) -> None:
    """Traits folded again from the profile's own identify calls, oldest first."""
    traits: dict[str, Any] = {}
    payloads = session.scalars(
        select(CdpEventRow.payload)
        .where(CdpEventRow.profile_id == profile.id, CdpEventRow.type == "identify")
        .order_by(CdpEventRow.timestamp, CdpEventRow.id)
    )
    for payload in payloads:
        traits.update(traits_of(payload))
    profile.traits = traits
    profile.last_seen = session.scalar(
        select(CdpEventRow.timestamp)
        .where(CdpEventRow.profile_id == profile.id)
        .order_by(CdpEventRow.timestamp.desc())
        .limit(1)
    )


def unmerge(*, uow: UnitOfWork, profile_id: str, kind: str, value: str) -> dict[str, str]:
    """Split the merge that brought `kind:value` into `profile_id` back out; returns
    `{"profile": survivor, "restored": the profile split out}`."""
    try:
        id_type = IdType(kind)
    except ValueError as exc:
        raise ValidationFailed(
            "Unknown identity type", errors=[field_error("body.identity.type", str(exc))]
        ) from exc
    canonical = normalize(id_type, value) or value
    now = utcnow()
    with uow:
        s = uow.session
        root = root_of(s, profile_id)
        if s.get(CdpProfileRow, root) is None:
            raise NotFound(f"No profile {profile_id!r}")
        row = s.scalar(
            select(CdpIdentityRow).where(
                CdpIdentityRow.profile_id == root,
                CdpIdentityRow.type == id_type.value,
                CdpIdentityRow.value == canonical,
            )
        )
        if row is None:
            raise ValidationFailed(
                "The profile does not hold this identity",
                errors=[field_error("body.identity", f"{root} has no {kind} {value!r}")],
            )
        if row.origin_profile_id == root:
            raise InvalidState(
                f"{kind} {value!r} is {root}'s own identity, not one that came in by a merge"
            )
        # Walk up from where the identity was born to the profile merged directly into root.
        child = row.origin_profile_id
        while True:
            parent = s.scalar(select(CdpProfileRow.merged_into).where(CdpProfileRow.id == child))
            if parent is None:
                raise InvalidState("The merge graph does not lead from this identity to here")
            if parent == root:
                break
            child = parent
        edge = s.scalar(
            select(CdpMergeRow).where(
                CdpMergeRow.into_profile_id == root,
                CdpMergeRow.merged_profile_id == child,
                CdpMergeRow.undone_at.is_(None),
            )
        )
        origins = _subtree(s, child)
        for table in OWNED:
            s.execute(
                update(table)
                .where(table.profile_id == root, table.origin_profile_id.in_(origins))
                .values(profile_id=child)
            )
        restored = s.get(CdpProfileRow, child)
        survivor = s.get(CdpProfileRow, root)
        assert restored is not None and survivor is not None
        restored.merged_into = None
        restored.updated_at = now
        if edge is not None:
            edge.undone_at = now
        s.flush()
        rebuild_traits(s, restored)
        rebuild_traits(s, survivor)
        profiles.refresh(uow, [root, child], now=now)
        uow.emit(
            "profile.unmerged",
            {"profile": root, "restored": child, "identity": {"type": kind, "value": canonical}},
        )
        uow.commit()
        return {"profile": root, "restored": child}


__all__ = ["Identity", "unmerge"]
