"""Values a process keeps for a few seconds, forgotten at once when it commits a change.

What every shopper of a channel sees the same — a storefront page, the catalog facts of a
SKU in a cart — is read far more often than it changes. A `TimedCache` keeps such values for
`ttl_s` seconds, at most `max_entries` of them (least recently used first out):

- a commit of this process that emits an event named with one of the watched prefixes
  clears it at once (`watch`), so whoever made a change sees it on their next request;
- a change committed by another process shows after at most `ttl_s`.

A value built while such a change committed is not stored (the generation moved under it),
so a stale value never outlives the change by more than the request that was building it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from souk.db.outbox import EMITTED

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


class TimedCache(Generic[V]):
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
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value: V, generation: int) -> None:
        """Keep `value`, built since `generation` was read — unless a change committed
        meanwhile."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            self._entries[key] = (self.clock() + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def through(
        self,
        keys: Mapping[K, Hashable],
        read: Callable[[list[K]], Mapping[K, V]],
        *,
        keep_absent: V | None = None,
    ) -> dict[K, V]:
        """The value of each of `keys` (name → cache key): kept ones from here, the others
        by one call of `read` with their names, then kept. A name `read` leaves out is kept
        as `keep_absent` when one is given (and left out of the answer), else read again
        next time."""
        generation = self.generation
        found: dict[K, V] = {}
        missing: list[K] = []
        for name, key in keys.items():
            value = self.get(key)
            if value is None:
                missing.append(name)
            elif value is not keep_absent:
                found[name] = value
        if missing:
            fresh = read(missing)
            for name in missing:
                value = fresh.get(name, keep_absent)
                if value is not None:
                    self.put(keys[name], value, generation)
            found.update(fresh)
        return found

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def watch(self, sessions: sessionmaker[Session], prefixes: tuple[str, ...]) -> None:
        """Clear the cache after every commit of these sessions that emitted an event whose
        name starts with one of `prefixes` (`souk.db.outbox.append` keeps the names; a
        savepoint's release counts as a commit too, which only costs a spurious clear)."""

        def after_commit(session: Session) -> None:
            if any(name.startswith(prefixes) for name in session.info.get(EMITTED, ())):
                self.invalidate()

        event.listen(sessions, "after_commit", after_commit)


class PerDatabase(Generic[V]):
    """A `TimedCache` per database of the process, made on first use: kept for
    SOUK_REFERENCE_CACHE_MS and cleared by this process's commits that emit an event named
    with one of `prefixes`. Calling it with a session gives that database's cache, or None
    where keeping is off (0 ms) or the session belongs to no `Database`."""

    def __init__(self, prefixes: tuple[str, ...], *, max_entries: int) -> None:
        self.prefixes = prefixes
        self.max_entries = max_entries
        self._caches: weakref.WeakKeyDictionary[Engine, TimedCache[V]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, session: Session) -> TimedCache[V] | None:
        db = session.info.get("database")
        if db is None or db.settings.reference_cache_ms <= 0:
            return None
        with self._lock:
            cache = self._caches.get(db.engine)
            if cache is None:
                cache = TimedCache(
                    db.settings.reference_cache_ms / 1000, max_entries=self.max_entries
                )
                cache.watch(db.sessions, self.prefixes)
                self._caches[db.engine] = cache
            return cache
