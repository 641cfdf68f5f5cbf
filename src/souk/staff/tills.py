"""A store manager at the till: a staff session bound to one of their stores and to that
store's POS channel, so that the API treats them exactly like a POS key of that store
(docs/pages.md, "Store-manager sign-in"). The session's CSRF token must come with every
call, because the browser sends the cookie by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.access.models import Principal, Role
from souk.channels.queries import pos_channel_of_store
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden
from souk.staff.models import StaffMember, StaffRole, hash_session_token
from souk.staff.rows import member_of
from souk.staff.tables import StaffRow, StaffSessionRow


@dataclass(frozen=True, slots=True)
class TillSession:
    member: StaffMember
    csrf: str
    store: str
    channel: str
    expires_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(key_id=f"staff:{self.member.id}", role=Role.POS,
                         channel=self.channel, location=self.store)  # fmt: skip


def till_binding(session: Session, member: StaffMember, store: str) -> tuple[str, str]:
    """The store (`""`: the manager's first) and its POS channel, or why not."""
    if member.role is not StaffRole.STORE_MANAGER:
        raise Forbidden("The till is for store managers; other staff use the console")
    store = store or member.stores[0]
    if store not in member.stores:
        raise Forbidden(f"You manage {', '.join(member.stores)}, not {store}")
    channel = pos_channel_of_store(session=session, store=store)
    if channel is None:
        raise Forbidden(f"No POS channel sells at {store}: an admin adds it to one first")
    return store, channel


def till_session(*, uow: UnitOfWork, token: str, now: datetime | None = None) -> TillSession | None:
    """The till session of this cookie; None when unknown, expired, a console session, or
    its manager no longer has that store or account."""
    now = now or utcnow()
    with uow:
        found = uow.session.execute(
            select(StaffRow, StaffSessionRow)
            .join(StaffSessionRow, StaffSessionRow.staff_id == StaffRow.id)
            .where(
                StaffSessionRow.token_hash == hash_session_token(token),
                StaffSessionRow.expires_at > now,
                StaffSessionRow.store.is_not(None),
                StaffRow.active.is_(True),
            )
        ).first()
        if found is None:
            return None
        member, row = member_of(found[0]), found[1]
        if row.store is None or row.channel is None or not member.may_act_for(row.store):
            return None
        if member.role is not StaffRole.STORE_MANAGER:
            return None
        return TillSession(member=member, csrf=row.csrf_token, store=row.store,
                           channel=row.channel, expires_at=row.expires_at)  # fmt: skip
