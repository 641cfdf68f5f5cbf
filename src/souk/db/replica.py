"""Reads that may be a little stale (catalog pages, availability shown on pages) go to a
PostgreSQL streaming replica — but only while it is provably within SOUK_REPLICA_MAX_LAG_MS
of the primary; otherwise the primary answers. A checkout, a reservation and every
read-then-write stay on the primary whatever this says.

The proof: read the primary's current WAL position, then ask the replica whether it has
replayed up to it. If so, the replica held everything the primary had at that moment, so
until `max_lag` later it is at most `max_lag` behind. Checked at most every `max_lag / 2`
by whichever request finds the check due (two short round trips), so a healthy replica
stays usable without a gap, and one that stops replaying is dropped within `max_lag`.
(`now() - pg_last_xact_replay_timestamp()` is not used: it grows on an idle primary.)
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)


class ReplicaRouter:
    def __init__(self, *, primary: Engine, replica: Engine, max_lag_s: float) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self._lock = threading.Lock()
        self._fresh_until = 0.0
        self._next_check = 0.0

    def usable(self) -> bool:
        """True while the replica is known to be within `max_lag_s` of the primary."""
        now = time.monotonic()
        # Only one request checks; the others go by what the last check found.
        if now >= self._next_check and self._lock.acquire(blocking=False):
            try:
                self._next_check = now + self.max_lag_s / 2
                self._check()
            finally:
                self._lock.release()
        return time.monotonic() < self._fresh_until

    def _check(self) -> None:
        checked_at = time.monotonic()
        try:
            with self.primary.connect() as conn:
                position = conn.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
            with self.replica.connect() as conn:
                caught_up = conn.execute(
                    text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:p AS pg_lsn), false)"),
                    {"p": position},
                ).scalar_one()
        except Exception as exc:
            log.warning(
                "replica check failed, reading from the primary: %s", exc.__class__.__name__
            )
            return
        if caught_up:
            self._fresh_until = checked_at + self.max_lag_s
