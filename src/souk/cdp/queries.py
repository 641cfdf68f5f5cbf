"""What other domains (engagement) read from and tell the customer data platform: the
profile behind an order or an identifier, the facts a message needs, current consent, who
asked for what, and engagement events recorded back on the profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.cdp import profiles
from souk.cdp.ingestion import record_event
from souk.cdp.models import Identity, IdType, normalize
from souk.cdp.resolution import find_by_identity, root_of
from souk.cdp.tables import (
    CdpConsentRow,
    CdpEventRow,
    CdpIdentityRow,
    CdpProfileOrderRow,
    CdpProfileRow,
    CdpSegmentRow,
)
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork

SOURCE = "souk"


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    id: str
    user_id: str | None
    email: str | None
    phone: str | None
    push_token: str | None
    traits: dict[str, Any]
    computed: dict[str, Any]

    @property
    def locale(self) -> str | None:
        value = self.traits.get("locale")
        return value if isinstance(value, str) else None

    @property
    def timezone(self) -> str | None:
        value = self.traits.get("timezone")
        return value if isinstance(value, str) else None

    def as_variables(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "phone": self.phone,
            "traits": dict(self.traits),
            "computed": dict(self.computed),
        }


def root(session: Session, profile_id: str) -> str | None:
    found = root_of(session, profile_id)
    return found if session.get(CdpProfileRow, found) is not None else None


# Under this key of `Event.shared`, the profile an `order.placed` was just recorded on
# (its root), for the reactions after the CDP's (engagement) to the same delivery.
ORDER_PROFILE = "cdp_profile"


def profile_of_order(session: Session, order_id: str) -> str | None:
    row = session.get(CdpProfileOrderRow, order_id)
    return root_of(session, row.profile_id) if row is not None else None


def profile_by(session: Session, kind: str, value: str | None) -> str | None:
    canonical = normalize(IdType(kind), value)
    if canonical is None:
        return None
    found = find_by_identity(session, Identity(IdType(kind), canonical))
    return root_of(session, found) if found is not None else None


def facts(session: Session, profile_id: str) -> ProfileFacts | None:
    row = session.get(CdpProfileRow, root_of(session, profile_id))
    if row is None:
        return None
    held: dict[str, str] = {}
    for kind, value in session.execute(
        select(CdpIdentityRow.type, CdpIdentityRow.value)
        .where(CdpIdentityRow.profile_id == row.id)
        .order_by(CdpIdentityRow.id)
    ):
        held.setdefault(kind, value)
    token = row.traits.get("push_token")
    return ProfileFacts(
        id=row.id,
        user_id=held.get("user_id"),
        email=held.get("email"),
        phone=held.get("phone"),
        push_token=token if isinstance(token, str) else None,
        traits=dict(row.traits),
        computed=dict(row.computed),
    )


def consent_granted(session: Session, profile_id: str, *, purpose: str, channel: str) -> bool:
    """The latest answer for this purpose on this channel or on `any`; no answer is no."""
    latest = session.scalars(
        select(CdpConsentRow.granted)
        .where(
            CdpConsentRow.profile_id == root_of(session, profile_id),
            CdpConsentRow.purpose == purpose,
            CdpConsentRow.channel.in_([channel, "any"]),
        )
        .order_by(CdpConsentRow.recorded_at.desc(), CdpConsentRow.id.desc())
        .limit(1)
    ).first()
    return bool(latest)


def requests_for(
    session: Session, *, events: tuple[str, ...], sku: str, since: datetime
) -> list[tuple[str, str]]:
    """(profile, messageId) of each tracked event of these names about `sku` since then:
    who asked to hear when it is back, who looked at it."""
    rows = session.execute(
        select(CdpEventRow.profile_id, CdpEventRow.message_id, CdpEventRow.payload)
        .where(CdpEventRow.event.in_(events), CdpEventRow.timestamp >= since)
        .order_by(CdpEventRow.id)
    )
    found: list[tuple[str, str]] = []
    for profile_id, message_id, payload in rows:
        properties = payload.get("properties") or {}
        if isinstance(properties, dict) and properties.get("sku") == sku:
            found.append((root_of(session, profile_id), message_id))
    return found


def at_churn_risk(session: Session, *, threshold: float, limit: int) -> list[tuple[str, str]]:
    """(profile, last order time) of profiles whose churn risk reached the threshold.
    Computed traits are JSON, so the filter runs here, over live profiles in id order."""
    found: list[tuple[str, str]] = []
    rows = session.execute(
        select(CdpProfileRow.id, CdpProfileRow.computed)
        .where(CdpProfileRow.merged_into.is_(None))
        .order_by(CdpProfileRow.id)
    )
    for profile_id, computed in rows:
        risk = (computed or {}).get("churn_risk")
        if isinstance(risk, int | float) and risk >= threshold:
            found.append((profile_id, str(computed.get("last_order_at"))))
            if len(found) >= limit:
                break
    return found


def record_engagement(
    *, uow: UnitOfWork, profile_id: str, message_id: str, event: str, properties: dict[str, Any]
) -> bool:
    """An engagement event (Email Opened, Email Link Clicked, Unsubscribed) on the profile,
    once per `message_id`. Runs inside the caller's open unit of work."""
    s = uow.session
    known = s.scalar(
        select(CdpEventRow.id).where(
            CdpEventRow.source == SOURCE, CdpEventRow.message_id == message_id
        )
    )
    if known is not None:
        return False
    now = utcnow()
    try:
        with s.begin_nested():
            record_event(
                uow,
                source=SOURCE,
                message_id=message_id,
                message={"type": "track", "event": event, "properties": properties},
                profile_id=root_of(s, profile_id),
                timestamp=now,
                received_at=now,
            )
    except IntegrityError:
        return False
    profiles.refresh(uow, [profile_id], now=now)
    return True


def segment_exists(session: Session, segment_id: str) -> bool:
    return session.get(CdpSegmentRow, segment_id) is not None
