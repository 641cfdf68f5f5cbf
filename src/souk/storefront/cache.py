"""Storefront pages kept for a few seconds, with their ETag.

A catalog page is the same for every shopper of a channel, locale and currency until the
catalog, a price, a listing, the channel or the stock changes, and shoppers ask for the
same few pages. Each process keeps the encoded page for `ttl_s` seconds:

- a commit that emits a catalog, listing, price or channel event clears the cache of the
  process that committed it, at once (`watch`), so an operator sees their change on the next
  page they load;
- stock changes, and changes committed by another worker process, show after at most
  `ttl_s` — listing pages may lag that much; a cart and a checkout never read this cache.

A page built while a change committed is not stored (the generation moved under it), so a
stale page never outlives the change by more than the request that was building it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from souk.db.outbox import OutboxEvent

# Events after which a page may show something else (names are `noun.verb`).
CHANGES = ("product.", "listing.", "prices.", "channel.", "category.", "tax_rate.", "stock.")
_STALE = "souk_storefront_stale"


@dataclass(frozen=True, slots=True)
class Entry:
    etag: str
    body: bytes
    expires: float


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against any of the listed tags, or `*`."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


class PageCache:
    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self.generation = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, body: bytes, generation: int) -> Entry:
        """Store the page built since `generation` was read — unless a change committed
        meanwhile — and return it with its ETag."""
        entry = Entry(etag_of(body), body, self.clock() + self.ttl_s)
        if self.ttl_s <= 0:
            return entry
        with self._lock:
            if generation == self.generation:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return entry

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Clear the cache after every commit of these sessions that emitted a change."""

        def after_flush(session: Session, _context: Any) -> None:
            for obj in session.new:
                if isinstance(obj, OutboxEvent) and obj.name.startswith(CHANGES):
                    session.info[_STALE] = True
                    return

        def after_commit(session: Session) -> None:
            # A flag left by a rolled-back flush only costs a spurious clear: kept simple.
            if session.info.pop(_STALE, False):
                self.invalidate()

        event.listen(sessions, "after_flush", after_flush)
        event.listen(sessions, "after_commit", after_commit)
