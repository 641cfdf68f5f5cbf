"""A flash drop's thundering herd: once a SKU is sold out, thousands of checkouts a second
would each read the stock to learn it again. Each process remembers, for a fraction of a
second, that a SKU was short in a channel, and refuses further checkouts of it at once.

Only refusals come from here — every unit sold is still decided by the database's
conditional update — so it can never oversell; the cost is that a unit coming back (a
declined payment, a cancelled order) may be refused for up to `SOUK_SOLD_OUT_CACHE_MS` to
checkouts in other processes. This process forgets a SKU as soon as it gives units back.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable

from souk.db.engine import Database

Key = tuple[str, str]  # (channel, sku)


class SoldOut:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per database (a process may serve several, tests do): entries die with it.
        self._seen: weakref.WeakKeyDictionary[Database, dict[Key, tuple[float, int]]] = (
            weakref.WeakKeyDictionary()
        )

    def remember(self, db: Database, channel: str, short: Iterable[tuple[str, int]]) -> None:
        """`short`: (sku, available) pairs a checkout just found short."""
        ttl = db.settings.sold_out_cache_ms / 1000
        if ttl <= 0:
            return
        until = time.monotonic() + ttl
        with self._lock:
            seen = self._seen.setdefault(db, {})
            for sku, available in short:
                seen[(channel, sku)] = (until, available)

    def refusal(
        self, db: Database, channel: str, wanted: Iterable[tuple[str, int]]
    ) -> list[dict[str, object]]:
        """The lines known to be short right now (empty: ask the database)."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(db)
            if not seen:
                return []
            lines: list[dict[str, object]] = []
            for sku, quantity in wanted:
                hit = seen.get((channel, sku))
                if hit is not None and hit[0] > now and hit[1] < quantity:
                    lines.append({"sku": sku, "requested": quantity, "available": hit[1]})
            return lines

    def forget(self, db: Database, skus: Iterable[str]) -> None:
        """Units of these SKUs were given back here: let the next checkout look again."""
        gone = set(skus)
        with self._lock:
            seen = self._seen.get(db)
            if seen:
                for key in [k for k in seen if k[1] in gone]:
                    del seen[key]


sold_out = SoldOut()
