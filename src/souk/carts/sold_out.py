"""A flash drop's thundering herd: once a SKU is sold out, thousands of checkouts a second
would each read the stock to learn it again. Each process remembers, for a fraction of a
second, that a SKU was short in a channel, and refuses further checkouts of it at once.

Only refusals come from here — every unit sold is still decided by the database's
conditional update — so it can never oversell; the cost is that a unit coming back (a
declined payment, a cancelled order) may be refused for up to `SOUK_SOLD_OUT_CACHE_MS` to
checkouts in other processes. This process forgets a SKU as soon as it gives units back,
or as soon as a checkout finds it in stock again.

When an entry lapses, one checkout is let through to look again and the others go on being
refused while it does: without that, every checkout in flight at the moment of expiry
would read the stock at once, the very herd this is here to stop.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable

from souk.db.engine import Database

# Per SKU, per channel: (remembered until, units available then).
Seen = dict[str, dict[str, tuple[float, int]]]
MAX_SKUS = 10_000  # past this many, entries that have lapsed are dropped


class SoldOut:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per database (a process may serve several, tests do): entries die with it.
        self._seen: weakref.WeakKeyDictionary[Database, Seen] = weakref.WeakKeyDictionary()

    def remember(self, db: Database, channel: str, short: Iterable[tuple[str, int]]) -> None:
        """`short`: (sku, available) pairs a checkout just found short."""
        ttl = db.settings.sold_out_cache_ms / 1000
        if ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(db, {})
            if len(seen) > MAX_SKUS:
                _drop_lapsed(seen, now)
            for sku, available in short:
                seen.setdefault(sku, {})[channel] = (now + ttl, available)

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
                hit = seen.get(sku, {}).get(channel)
                if hit is None or hit[1] >= quantity:
                    continue
                if hit[0] <= now:
                    # This caller looks again; the others keep being refused meanwhile.
                    ttl = db.settings.sold_out_cache_ms / 1000
                    seen[sku][channel] = (now + ttl, hit[1])
                    return []
                lines.append({"sku": sku, "requested": quantity, "available": hit[1]})
            return lines

    def forget(self, db: Database, skus: Iterable[str]) -> None:
        """Units of these SKUs were given back, or found in stock: let the next checkout
        look again."""
        with self._lock:
            seen = self._seen.get(db)
            if seen:
                for sku in skus:
                    seen.pop(sku, None)


def _drop_lapsed(seen: Seen, now: float) -> None:
    for sku in list(seen):
        channels = seen[sku]
        for channel in [c for c, (until, _) in channels.items() if until <= now]:
            del channels[channel]
        if not channels:
            del seen[sku]


sold_out = SoldOut()
