"""How other domains read loyalty inside their own transaction: a member's tier, the
program's tier codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from souk.loyalty.accounts import current_tier
from souk.loyalty.program import load_program

__all__ = ["MemberTier", "tier_codes", "tier_of"]


def tier_codes(*, session: Session) -> frozenset[str]:
    """The codes of the program's tiers; none without a program."""
    program = load_program(session)
    return frozenset(t.code for t in program.tiers) if program is not None else frozenset()


def tier_of(*, session: Session, customer_id: str, now: datetime) -> str | None:
    """The member's tier code now: two statements (the program, the points of its windows)."""
    program = load_program(session)
    if program is None or not program.tiers:
        return None
    tier = current_tier(session, program, customer_id, now)
    return tier.code if tier is not None else None


class MemberTier:
    """One shopper's tier for one request, read only when something asks for it and then
    at most once, however many listings and promotions ask (a guest has none)."""

    __slots__ = ("_customer_id", "_now", "_read", "_session", "_tier")

    def __init__(self, session: Session, customer_id: str | None, now: datetime) -> None:
        self._session = session
        self._customer_id = customer_id
        self._now = now
        self._read = customer_id is None
        self._tier: str | None = None

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def get(self) -> str | None:
        if not self._read and self._customer_id is not None:
            customer_id, now = self._customer_id, self._now
            self._tier = tier_of(session=self._session, customer_id=customer_id, now=now)
            self._read = True
        return self._tier
