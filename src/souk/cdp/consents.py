"""Consent per purpose and channel, with its history: every answer is a new row, the latest
one per purpose and channel is the current answer, nothing is overwritten."""

from __future__ import annotations

from souk.cdp.reads import profile_read
from souk.cdp.resolution import root_of
from souk.cdp.schemas import ConsentUpdate, ProfileRead
from souk.cdp.tables import CdpConsentRow, CdpProfileRow
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound


def record_consents(
    *, uow: UnitOfWork, profile_id: str, consents: list[ConsentUpdate]
) -> ProfileRead:
    now = utcnow()
    with uow:
        s = uow.session
        root = root_of(s, profile_id)
        if s.get(CdpProfileRow, root) is None:
            raise NotFound(f"No profile {profile_id!r}")
        for consent in consents:
            s.add(
                CdpConsentRow(
                    profile_id=root,
                    origin_profile_id=root,
                    purpose=consent.purpose,
                    channel=consent.channel,
                    granted=consent.granted,
                    source=consent.source,
                    recorded_at=now,
                )
            )
        uow.emit(
            "profile.consent_changed",
            {"profile": root, "consents": [c.model_dump() for c in consents]},
        )
        s.flush()
        result = profile_read(s, root)
        uow.commit()
        return result
