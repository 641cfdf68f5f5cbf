"""Where `Idempotency-Key`s live: one row per (scope, key), claimed, fenced and answered.

A row is claimed by one request (its `holder`, a random token, with a `lease_until`), gets
its `outcome` in the command's own transaction (what was committed: the ids it minted), and
its answer (`status`, `headers`, `body`) just before the answer is sent. Every write after
the claim names the holder, so a request whose claim was taken over can no longer record
anything: the effect happens once even if a lease expired under a request that was alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import LargeBinary, String, delete, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from souk.db.base import Base, utcnow
from souk.db.engine import Database
from souk.db.types import Json

MAX_KEY_LENGTH = 255


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    headers: Mapped[list[list[str]] | None] = mapped_column(Json)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    outcome: Mapped[dict[str, Any] | None] = mapped_column(Json)


@dataclass(frozen=True, slots=True)
class Seen:
    """A row that another request claimed (or answered) already."""

    fingerprint: str
    status: int | None
    headers: list[list[str]] | None
    body: bytes | None
    created_at: datetime
    holder: str | None
    lease_until: datetime | None
    outcome: dict[str, Any] | None


class ClaimLost(Exception):
    """This request's claim was taken over by a retry: its command must not commit."""


def _row(scope: str, key: str) -> Any:
    return (IdempotencyRecord.scope == scope) & (IdempotencyRecord.key == key)


class IdempotencyStore:
    def __init__(self, db: Database, *, ttl_s: int, lease_s: float) -> None:
        self.db = db
        self.ttl = timedelta(seconds=ttl_s)
        self.lease = timedelta(seconds=lease_s)

    def claim(self, scope: str, key: str, fingerprint: str, holder: str) -> Seen | None:
        """None if `holder` now owns the key; else what the row holds already."""
        for _ in range(3):
            now = utcnow()
            try:
                with self.db.transaction() as session:
                    session.execute(
                        insert(IdempotencyRecord).values(
                            scope=scope,
                            key=key,
                            fingerprint=fingerprint,
                            holder=holder,
                            lease_until=now + self.lease,
                            created_at=now,
                        )
                    )
                return None
            except IntegrityError:
                seen = self.read(scope, key)
                if seen is not None:
                    return seen
                # Released between our insert and our read: try again.
        raise RuntimeError("could not claim idempotency key")

    def read(self, scope: str, key: str) -> Seen | None:
        with self.db.transaction(write=False) as session:
            row = session.scalar(select(IdempotencyRecord).where(_row(scope, key)))
            if row is None:
                return None
            return Seen(
                fingerprint=row.fingerprint,
                status=row.status,
                headers=row.headers,
                body=row.body,
                created_at=row.created_at,
                holder=row.holder,
                lease_until=row.lease_until,
                outcome=row.outcome,
            )

    def expired(self, seen: Seen) -> bool:
        return seen.created_at < utcnow() - self.ttl

    def lease_alive(self, seen: Seen) -> bool:
        return seen.lease_until is not None and seen.lease_until > utcnow()

    def take_over(self, scope: str, key: str, seen: Seen, fingerprint: str, holder: str) -> bool:
        """Start afresh on a row whose owner died before committing anything (or that
        expired); False if another retry was quicker."""
        now = utcnow()
        with self.db.transaction() as session:
            result = session.execute(
                update(IdempotencyRecord)
                .where(_row(scope, key), IdempotencyRecord.holder.is_not_distinct_from(seen.holder))
                .values(
                    fingerprint=fingerprint,
                    holder=holder,
                    lease_until=now + self.lease,
                    created_at=now,
                    # SQL NULL, not JSON null: `outcome IS NULL` is what a release tests.
                    outcome=null(),
                    status=None,
                    headers=null(),
                    body=None,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def record_outcome(
        self, session: Session, scope: str, key: str, holder: str, outcome: dict[str, Any]
    ) -> None:
        """In the command's own transaction; raises ClaimLost (rolling the command back)
        when a retry took the key over meanwhile."""
        result = session.execute(
            update(IdempotencyRecord)
            .where(_row(scope, key), IdempotencyRecord.holder == holder)
            .values(outcome=outcome)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            raise ClaimLost(f"Idempotency-Key {key!r} was taken over by a retry")

    def store(
        self,
        scope: str,
        key: str,
        holder: str | None,
        status: int,
        headers: list[list[str]],
        body: bytes,
    ) -> bool:
        """Keep the answer; `holder=None` keeps an answer rendered for a replay, once."""
        owned = (
            IdempotencyRecord.holder == holder
            if holder is not None
            else IdempotencyRecord.status.is_(None)
        )
        with self.db.transaction() as session:
            result = session.execute(
                update(IdempotencyRecord)
                .where(_row(scope, key), owned)
                .values(status=status, headers=headers, body=body)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def release(self, scope: str, key: str, holder: str) -> None:
        """Forget a claim whose request committed nothing, so that it can be retried."""
        with self.db.transaction() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    _row(scope, key),
                    IdempotencyRecord.holder == holder,
                    IdempotencyRecord.outcome.is_(None),
                )
            )

    def renew(self, holders: list[str]) -> None:
        """The heartbeat of requests still running: their leases move on."""
        with self.db.transaction() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.holder.in_(holders), IdempotencyRecord.status.is_(None))
                .values(lease_until=utcnow() + self.lease)
            )

    def purge_expired(self) -> int:
        with self.db.transaction() as session:
            result = session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - self.ttl)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def exists(self, scope: str, key: str) -> bool:
        with self.db.transaction(write=False) as session:
            found = session.scalar(select(IdempotencyRecord.key).where(_row(scope, key)))
            return found is not None
