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
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from souk.db.timed import TimedCache

# Events after which a page may show something else (names are `noun.verb`).
CHANGES = ("product.", "listing.", "prices.", "channel.", "category.", "tax_rate.", "stock.")


@dataclass(frozen=True, slots=True)
class Entry:
    etag: str
    body: bytes


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against any of the listed tags, or `*`."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


class PageCache(TimedCache[Entry]):
    """Encoded pages with their ETag (`souk.db.timed`: kept `ttl_s`, forgotten at once on
    this process's commit of a `CHANGES` event)."""

    def put(self, key: Hashable, body: bytes, generation: int) -> Entry:  # type: ignore[override]
        """Store the page built since `generation` was read — unless a change committed
        meanwhile — and return it with its ETag."""
        entry = Entry(etag_of(body), body)
        super().put(key, entry, generation)
        return entry

    def watch(self, sessions: sessionmaker[Session], prefixes: tuple[str, ...] = CHANGES) -> None:
        super().watch(sessions, prefixes)
