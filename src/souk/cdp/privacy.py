"""Privacy requests over the customer data platform's own tables: export every datum the
CDP holds about a person (machine-readable), or erase it.

Erasure here deletes the raw events (their payloads hold whatever the client sent),
identities, consents, segment memberships and merge edges of the profile and everything
merged into it, and empties its traits; the profile row and its order links stay, as a
pseudonymous shell, so that order statistics keep adding up. The commerce domains'
own records (customer account, addresses, carts, orders) are erased by their owners —
see docs/customer-data.md for what is and is not covered yet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from souk.cdp.models import Identity, IdType, normalize
from souk.cdp.reads import profile_read
from souk.cdp.resolution import find_by_identity, root_of
from souk.cdp.tables import (
    CdpConsentRow,
    CdpEventRow,
    CdpIdentityRow,
    CdpMergeRow,
    CdpProfileRow,
    CdpSegmentMemberRow,
)
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error


def _profile_of(uow: UnitOfWork, *, email: str | None, profile: str | None) -> str:
    if (email is None) == (profile is None):
        raise ValidationFailed(
            "Name the person by exactly one of email or profile",
            errors=[field_error("body", "give email or profile")],
        )
    if profile is not None:
        root = root_of(uow.session, profile)
        if uow.session.get(CdpProfileRow, root) is None:
            raise NotFound(f"No profile {profile!r}")
        return root
    value = normalize(IdType.EMAIL, email)
    found = find_by_identity(uow.session, Identity(IdType.EMAIL, value)) if value else None
    if found is None:
        raise NotFound("No profile holds this email")
    return found


def _family(uow: UnitOfWork, root: str) -> set[str]:
    members, frontier = {root}, [root]
    while frontier:
        children = list(
            uow.session.scalars(
                select(CdpProfileRow.id).where(CdpProfileRow.merged_into.in_(frontier))
            )
        )
        frontier = [c for c in children if c not in members]
        members.update(frontier)
    return members


def export(*, uow: UnitOfWork, email: str | None, profile: str | None) -> dict[str, Any]:
    with uow:
        root = _profile_of(uow, email=email, profile=profile)
        read = profile_read(uow.session, root)
        events = uow.session.scalars(
            select(CdpEventRow.payload)
            .where(CdpEventRow.profile_id == root)
            .order_by(CdpEventRow.timestamp, CdpEventRow.id)
        )
        document = read.model_dump(mode="json")
        document["events"] = list(events)
        return {"type": "export", "profile": root, "data": document}


def erase(*, uow: UnitOfWork, email: str | None, profile: str | None) -> dict[str, Any]:
    now = utcnow()
    with uow:
        s = uow.session
        root = _profile_of(uow, email=email, profile=profile)
        family = _family(uow, root)
        counts = {}
        for name, table in (
            ("events", CdpEventRow),
            ("identities", CdpIdentityRow),
            ("consents", CdpConsentRow),
            ("segment_memberships", CdpSegmentMemberRow),
        ):
            result = s.execute(delete(table).where(table.profile_id.in_(family)))
            counts[name] = int(getattr(result, "rowcount", 0) or 0)
        s.execute(
            delete(CdpMergeRow).where(
                or_(
                    CdpMergeRow.into_profile_id.in_(family),
                    CdpMergeRow.merged_profile_id.in_(family),
                )
            )
        )
        s.execute(
            update(CdpProfileRow)
            .where(CdpProfileRow.id.in_(family))
            .values(traits={}, last_seen=None, updated_at=now)
        )
        uow.emit("profile.erased", {"profile": root})
        uow.commit()
        return {"type": "erase", "profile": root, "erased": counts, "at": now.isoformat()}
