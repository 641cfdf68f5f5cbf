"""Privacy requests over the customer data platform's own tables: export every datum the
CDP holds about a person (machine-readable), or erase it.

Erasure here deletes the raw events (their payloads hold whatever the client sent),
identities, consents, segment memberships and merge edges of the profile and everything
merged into it, and empties its traits; the profile row and its order links stay, as a
pseudonymous shell, so that order statistics keep adding up. What the profile knew of the
person (emails, phones, names, user ids, loyalty cards) is handed, before it is deleted,
to the erasers registered here (souk.privacy, wired in souk.wiring), which erase the
person in every other domain in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from souk.cdp import inbox
from souk.cdp.models import Identity, IdType, normalize
from souk.cdp.reads import profile_read
from souk.cdp.resolution import find_by_identity, root_of
from souk.cdp.tables import (
    CdpConsentRow,
    CdpEventRow,
    CdpIdentityRow,
    CdpInboxRow,
    CdpMergeRow,
    CdpProfileRow,
    CdpSegmentMemberRow,
)
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error


@dataclass
class Seeds:
    """What the CDP knows the person by; `found` is False when no profile held them."""

    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    loyalty_cards: set[str] = field(default_factory=set)
    # The profile and every profile merged into it, for domains that keep rows by profile.
    profile_ids: set[str] = field(default_factory=set)
    found: bool = True


Eraser = Callable[[Session, Seeds], dict[str, int]]
# What another domain holds about the profiles (the person's root and its merged ones): a
# dict of sections added to the export document.
Exporter = Callable[[Session, set[str]], dict[str, Any]]
_erasers: dict[str, Eraser] = {}
_exporters: dict[str, Exporter] = {}


def register_eraser(name: str, eraser: Eraser) -> None:
    _erasers[name] = eraser


def register_exporter(name: str, exporter: Exporter) -> None:
    _exporters[name] = exporter


_SEED_TYPES = {
    IdType.EMAIL.value: "emails",
    IdType.PHONE.value: "phones",
    IdType.USER_ID.value: "customer_ids",
    IdType.POS_CUSTOMER_ID.value: "customer_ids",
    IdType.LOYALTY_CARD.value: "loyalty_cards",
}
_NAME_TRAITS = ("name", "firstName", "lastName", "first_name", "last_name")


def _seeds(uow: UnitOfWork, family: set[str], email: str | None) -> Seeds:
    seeds = Seeds(found=bool(family), profile_ids=set(family))
    if email:
        seeds.emails.add(normalize(IdType.EMAIL, email) or email.strip().lower())
    rows = uow.session.execute(
        select(CdpIdentityRow.type, CdpIdentityRow.value).where(
            CdpIdentityRow.profile_id.in_(family)
        )
    )
    for kind, value in rows:
        if kind in _SEED_TYPES:
            getattr(seeds, _SEED_TYPES[kind]).add(value)
    for traits in uow.session.scalars(
        select(CdpProfileRow.traits).where(CdpProfileRow.id.in_(family))
    ):
        for key in _NAME_TRAITS:
            if isinstance(traits.get(key), str) and traits[key].strip():
                seeds.names.add(traits[key].strip())
        first, last = (
            traits.get("firstName") or traits.get("first_name"),
            traits.get("lastName") or traits.get("last_name"),
        )
        if isinstance(first, str) and isinstance(last, str):
            seeds.names.add(f"{first} {last}")
        for key, into in (("email", seeds.emails), ("phone", seeds.phones)):
            if isinstance(traits.get(key), str) and traits[key].strip():
                into.add(traits[key].strip())
    return seeds


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
    # Calls answered but not resolved yet (SOUK_CDP_INGEST_ASYNC) are part of what is held.
    inbox.drain(uow.db)
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
        family = _family(uow, root)
        for exporter in _exporters.values():
            document.update(exporter(uow.session, family))
        return {"type": "export", "profile": root, "data": document}


def _set_aside_mentioning(s: Session, family: set[str], seeds: Seeds) -> int:
    """Delete the staged calls that failed every attempt (kept for an operator) and that
    mention one of the person's identifiers: their raw bodies are personal data too."""
    values = set(
        s.scalars(select(CdpIdentityRow.value).where(CdpIdentityRow.profile_id.in_(family)))
    )
    values |= seeds.emails | seeds.phones | seeds.names
    if not values:
        return 0
    result = s.execute(
        delete(CdpInboxRow).where(
            CdpInboxRow.attempts >= inbox.MAX_ATTEMPTS,
            or_(*[CdpInboxRow.body.contains(v, autoescape=True) for v in sorted(values)]),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def erase(*, uow: UnitOfWork, email: str | None, profile: str | None) -> dict[str, Any]:
    now = utcnow()
    # Staged calls first, so that none of the person's events arrives after the erasure.
    inbox.drain(uow.db)
    with uow:
        s = uow.session
        try:
            root: str | None = _profile_of(uow, email=email, profile=profile)
        except NotFound:
            if email is None or not _erasers:
                raise
            root = None  # no profile, but a customer account or orders may hold the email
        family = _family(uow, root) if root else set()
        seeds = _seeds(uow, family, email)
        counts: dict[str, int] = {"events": _set_aside_mentioning(s, family, seeds)}
        for name, table in (
            ("events", CdpEventRow),
            ("identities", CdpIdentityRow),
            ("consents", CdpConsentRow),
            ("segment_memberships", CdpSegmentMemberRow),
        ):
            result = s.execute(delete(table).where(table.profile_id.in_(family)))
            counts[name] = counts.get(name, 0) + int(getattr(result, "rowcount", 0) or 0)
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
        elsewhere: dict[str, int] = {}
        for eraser in _erasers.values():
            elsewhere.update(eraser(s, seeds))
        if root is None and not elsewhere:
            raise NotFound("No profile, customer or order holds this email")
        counts.update(elsewhere)
        if root is not None:
            uow.emit("profile.erased", {"profile": root})
        uow.commit()
        return {"type": "erase", "profile": root, "erased": counts, "at": now.isoformat()}
