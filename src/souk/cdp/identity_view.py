"""The identities table as one transaction sees it, read in a few statements per batch
instead of several per message.

Resolution asks three questions again and again: which profile owns this claim, which
identities a profile holds, how many of each type. A batch of 100 messages from ten
visitors asks them a few hundred times; the answers only change through this
transaction's own writes (kept in step here) or another writer's commit (which the unique
claim turns into an IntegrityError and a replay of the batch, see `ingestion.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from souk.cdp.bulk import Among, insert_rows
from souk.cdp.models import Identity
from souk.cdp.tables import CdpIdentityRow, CdpProfileRow

CHUNK = 500  # bound parameters per IN list, well under either back end's limit
# Who holds each of some claims.
_OWNERS = Among([CdpIdentityRow.claim, CdpIdentityRow.profile_id], CdpIdentityRow.claim)


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class IdentityView:
    def __init__(self, session: Session) -> None:
        self.session = session
        # claim -> owning profile; None records "looked up, nobody holds it"
        self._owner: dict[str, str | None] = {}
        self._held: dict[str, set[tuple[str, str]]] = {}
        # Profiles made in this transaction are pending, which `session.get` cannot see
        # without flushing and reading them back.
        self._made: dict[str, CdpProfileRow] = {}
        # The owners' rows, held: the session keeps unchanged rows only weakly, and one let
        # go would be read again by the next `session.get`.
        self._rows: dict[str, CdpProfileRow] = {}
        self._merged_into: dict[str, str] = {}
        # New identity rows, written in one multi-row INSERT before anything reads the table
        self._pending: list[dict[str, object]] = []

    def prime(self, claims: Iterable[str]) -> None:
        """Look up every claim not seen yet, then load the owners' identities and rows:
        three statements for a whole batch."""
        missing = sorted({c for c in claims if c not in self._owner})
        if not missing:
            return
        for claim in missing:
            self._owner[claim] = None
        self.flush()
        for chunk in _chunks(missing):
            rows = _OWNERS(self.session, chunk)
            self._owner.update({str(claim): str(profile) for claim, profile in rows})
        owners = sorted({p for c in missing if (p := self._owner[c]) is not None})
        self._load([p for p in owners if p not in self._held])
        for chunk in _chunks(owners):
            # Into the identity map, so that `session.get` answers without a statement.
            found = self.session.scalars(select(CdpProfileRow).where(CdpProfileRow.id.in_(chunk)))
            self._rows.update((row.id, row) for row in found)

    def _load(self, profile_ids: list[str]) -> None:
        for pid in profile_ids:
            self._held[pid] = set()
        self.flush()
        for chunk in _chunks(profile_ids):
            rows = self.session.execute(
                select(CdpIdentityRow.profile_id, CdpIdentityRow.type, CdpIdentityRow.value).where(
                    CdpIdentityRow.profile_id.in_(chunk)
                )
            )
            for pid, kind, value in rows:
                self._held[str(pid)].add((str(kind), str(value)))

    def owners(self, claims: Iterable[str]) -> dict[str, str]:
        wanted = list(claims)
        self.prime(wanted)
        return {c: p for c in wanted if (p := self._owner[c]) is not None}

    def held(self, profile_id: str) -> set[tuple[str, str]]:
        if profile_id not in self._held:
            self._load([profile_id])
        return self._held[profile_id]

    def counts(self, profile_id: str) -> Counter[str]:
        return Counter(kind for kind, _ in self.held(profile_id))

    def started(self, profile: CdpProfileRow) -> None:
        """A profile created in this transaction: it holds nothing yet."""
        self._held[profile.id] = set()
        self._made[profile.id] = profile

    def profile(self, profile_id: str) -> CdpProfileRow | None:
        made = self._made.get(profile_id)
        return made if made is not None else self.session.get(CdpProfileRow, profile_id)

    def made_here(self, profile_id: str) -> bool:
        """Whether this transaction started the profile (nothing of it is stored yet)."""
        return profile_id in self._made

    def added(self, profile_id: str, identity: Identity, row: dict[str, object]) -> None:
        self.held(profile_id).add((identity.type.value, identity.value))
        if identity.claim is not None:
            self._owner[identity.claim] = profile_id
        self._pending.append(row)

    def flush(self, *, last: bool = False) -> None:
        """Write the new identities (and, first, the new profiles they belong to). `last`:
        nothing changes the profiles made here afterwards, so those still pending are
        written in one bulk insert (COPY on PostgreSQL) and let go by the session, instead
        of one ORM INSERT each — a tenth of a batch's CPU when every visitor is new."""
        if last:
            self._write_made()
        if self._pending:
            rows, self._pending = self._pending, []
            self.session.flush()
            insert_rows(self.session, "cdp_identities", rows)

    def _write_made(self) -> None:
        made = [p for p in self._made.values() if inspect(p).pending]
        if not made:
            return
        for profile in made:
            self.session.expunge(profile)
        columns = [c.key for c in CdpProfileRow.__table__.columns]
        rows = [{c: getattr(p, c) for c in columns} for p in made]
        insert_rows(self.session, CdpProfileRow.__tablename__, rows)

    def moved(self, source: str, target: str) -> None:
        """Every identity of `source` now belongs to `target` (a merge); the caller moves
        the rows next, so the pending ones are written first."""
        self.flush()
        self.held(target).update(self.held(source))
        self._held[source] = set()
        self._merged_into[source] = target
        for claim, owner in self._owner.items():
            if owner == source:
                self._owner[claim] = target

    @property
    def merged(self) -> bool:
        """Whether this transaction merged any profile (else every profile is current)."""
        return bool(self._merged_into)

    def current(self, profile_id: str) -> str:
        """Where `profile_id` lives after the merges this transaction made."""
        seen = {profile_id}
        while (parent := self._merged_into.get(profile_id)) is not None and parent not in seen:
            seen.add(parent)
            profile_id = parent
        return profile_id
