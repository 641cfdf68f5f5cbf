"""Reference data kept in each process for a moment: channels, tax rates, shipping rates,
the locations routing reads for every order (and, with their own caches declared where they
are read, the loyalty program and fraud screening's weights).

Nearly every storefront, cart and checkout request reads its channel, and every cart read
its tax and shipping rates; all three change a few times a year. Each process keeps what it
read for `SOUK_REFERENCE_CACHE_MS` (2 s) per database, and forgets a kind at once after it
commits a change to it, so a cart step costs no statement for them in steady state.

The cost: another process may use a channel, a tax rate or a shipping rate changed there up
to that long late. Stock, carts and orders never come from here; what a cart shows of the
catalog and of prices is kept apart, the same way (`souk.db.timed`), and a checkout reads
both exactly.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from souk.db.engine import Database

T = TypeVar("T")


class ReferenceCache:
    """One kind of reference data, by database and key.

    A fill that began before a `forget` is not kept: it may have read the old value. When a
    kept value lapses, one thread reads it again and the others go on with the old one
    until that read is kept: without that, every request that arrived during the read —
    which a busy process makes slow — read it too (at 16 shoppers, re-reading the tax
    rates every 2 s took 1.4 % of the server's CPU, none with a 60 s lapse: far more than
    one read per lapse). A `forget` drops the old value, so after a change nobody is given
    it.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._lock = threading.Lock()
        self._entries: weakref.WeakKeyDictionary[Engine, dict[Hashable, tuple[float, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._generation: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
        self._reading: weakref.WeakKeyDictionary[Engine, set[Hashable]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, session: Session, key: Hashable, load: Callable[[], T]) -> T:
        db: Database | None = session.info.get("database")
        ttl = db.settings.reference_cache_ms / 1000 if db is not None else 0
        if db is None or ttl <= 0:
            return load()
        engine = db.engine
        now = time.monotonic()
        reader = False
        with self._lock:
            entry = self._entries.get(engine, {}).get(key)
            generation = self._generation.get(engine, 0)
            if entry is not None:
                if entry[0] > now:
                    return entry[1]  # type: ignore[no-any-return]
                reading = self._reading.setdefault(engine, set())
                if key in reading:
                    return entry[1]  # type: ignore[no-any-return]
                reading.add(key)
                reader = True
        try:
            value = load()
        finally:
            if reader:
                with self._lock:
                    self._reading.get(engine, set()).discard(key)
        with self._lock:
            if self._generation.get(engine, 0) == generation:
                self._entries.setdefault(engine, {})[key] = (now + ttl, value)
        return value

    def forget(self, db: Database) -> None:
        """Call after committing a change to this kind of data."""
        with self._lock:
            self._entries.pop(db.engine, None)
            self._generation[db.engine] = self._generation.get(db.engine, 0) + 1


CHANNELS = ReferenceCache("channels")
TAX_RATES = ReferenceCache("tax rates")
SHIPPING_RATES = ReferenceCache("shipping rates")
LOCATIONS = ReferenceCache("locations")
