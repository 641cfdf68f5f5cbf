"""Every cart read asks which promotions are live; they change a few times a day. Each
process keeps the answer for `SOUK_PROMOTIONS_CACHE_MS` (2 s) per database, and forgets it
at once when it writes a promotion, so a cart read costs no statement for promotions in
steady state. Uses change with every order: when the cache lapses, or this process took a
use of a promotion that has a usage limit, one aggregate says whether any limited
promotion's uses moved, and only then is the set of used-up ones read again (one query) —
the promotions themselves are rebuilt only when one of them changed.

Nothing that must hold exactly comes from here: a limit is taken by the conditional UPDATE
at checkout (`redemptions.redeem`), which also refuses a promotion retired meanwhile. The
cost is that another process may show a promotion created, changed or used up there up to
that long late.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from souk.db.engine import Database
from souk.promotions.models import Promotion
from souk.promotions.rows import to_promotion
from souk.promotions.tables import PromotionCustomerUseRow, PromotionRow


@dataclass(frozen=True)
class Live:
    """Every promotion that could apply now, with what the engine cannot see in them:
    which ones are used up in total, and the per-customer limits to check."""

    promotions: list[Promotion]
    used_up: frozenset[str]
    per_customer: dict[str, int]
    index: Index = field(default_factory=lambda: Index((), {}, {}, {}))

    def candidates(
        self, *, channel: str, skus: set[str], categories: set[str], coded: set[str]
    ) -> list[Promotion]:
        """The promotions that may apply to a cart of these SKUs and categories in this
        channel — every other one would be refused by its channel or by "no line of the
        cart is one the promotion is about" — plus those of the codes entered, so that a
        code that does not apply is always explained. Built once per cache fill, so a cart
        read evaluates only its candidates, not every live promotion; they come in the
        engine's order (`Promotion.order_key`)."""
        picked = set(self.index.everywhere)
        for sku in skus:
            picked.update(self.index.by_sku.get(sku, ()))
        for category in categories:
            picked.update(self.index.by_category.get(category, ()))
        wanted = {self.index.position[pid] for pid in coded if pid in self.index.position}
        for i in picked:
            p = self.promotions[i]
            if not p.coupon_required and (not p.channels or channel in p.channels):
                wanted.add(i)
        return [self.promotions[i] for i in sorted(wanted)]


@dataclass(frozen=True)
class Index:
    everywhere: tuple[int, ...]  # positions of promotions about every line
    by_sku: dict[str, tuple[int, ...]]
    by_category: dict[str, tuple[int, ...]]
    position: dict[str, int]


def index_of(promotions: list[Promotion]) -> Index:
    everywhere: list[int] = []
    by_sku: dict[str, list[int]] = {}
    by_category: dict[str, list[int]] = {}
    for i, p in enumerate(promotions):
        c = p.conditions
        if not c.skus and not c.categories:
            everywhere.append(i)
        for sku in c.skus:
            by_sku.setdefault(sku, []).append(i)
        for category in c.categories:
            by_category.setdefault(category, []).append(i)
    return Index(
        tuple(everywhere),
        {k: tuple(v) for k, v in by_sku.items()},
        {k: tuple(v) for k, v in by_category.items()},
        {p.id: i for i, p in enumerate(promotions)},
    )


LIVE_ROWS = (PromotionRow.active.is_(True), PromotionRow.deleted.is_(False))


def live_promotions(*, session: Session, now: datetime | None) -> Live:
    """One query whatever the number of promotions: the engine filters the rest (channel,
    tier, coupon, and the window when `now` is None) in memory."""
    stmt = select(PromotionRow).where(*LIVE_ROWS)
    if now is not None:
        stmt = stmt.where(
            (PromotionRow.starts_at.is_(None)) | (PromotionRow.starts_at <= now),
            (PromotionRow.ends_at.is_(None)) | (PromotionRow.ends_at > now),
        )
    rows = session.scalars(stmt).all()
    # In the engine's order once per fill: `candidates` keeps it, so a read need not sort.
    promotions = sorted((to_promotion(r) for r in rows), key=Promotion.order_key)
    return Live(
        promotions=promotions,
        index=index_of(promotions),
        used_up=frozenset(
            r.id for r in rows if r.usage_limit is not None and r.times_used >= r.usage_limit
        ),
        per_customer={r.id: r.per_customer_limit for r in rows if r.per_customer_limit},
    )


def _used_up(session: Session) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(PromotionRow.id).where(
                *LIVE_ROWS,
                PromotionRow.usage_limit.is_not(None),
                PromotionRow.times_used >= PromotionRow.usage_limit,
            )
        )
    )


def used_up_for(*, session: Session, live: Live, customer: str | None) -> frozenset[str]:
    """The live promotions this shopper cannot use any more: used up in total, or as
    often as one customer may (one statement, only when such a limit exists)."""
    if customer is None or not live.per_customer:
        return live.used_up
    rows = session.execute(
        select(PromotionCustomerUseRow.promotion_id, PromotionCustomerUseRow.times_used).where(
            PromotionCustomerUseRow.customer_key == customer,
            PromotionCustomerUseRow.promotion_id.in_(list(live.per_customer)),
        )
    )
    mine = {pid for pid, used in rows if used >= live.per_customer[pid]}
    return live.used_up | mine


_lock = threading.Lock()
Version = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Cached:
    until: float
    promotions: Version  # how many, and the latest change to one
    uses: object  # the uses taken of the promotions that have a usage limit
    live: Live


_cache: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()


def _version(session: Session) -> tuple[Version, object]:
    """What changes when any live promotion does — how many there are and the latest change
    to one (a PATCH, a retirement) — and the uses taken of those with a usage limit. One
    aggregate over the promotions, instead of reading and rebuilding every one of them each
    time the cache lapses: 200 promotions cost the rebuild ~13 ms of CPU. The uses of
    promotions without a limit change nothing a cart is shown."""
    count, latest, uses = session.execute(
        select(
            func.count(PromotionRow.id),
            func.max(PromotionRow.updated_at),
            func.coalesce(
                func.sum(
                    case((PromotionRow.usage_limit.is_not(None), PromotionRow.times_used), else_=0)
                ),
                0,
            ),
        ).where(*LIVE_ROWS)
    ).one()
    return (count, latest), uses


def live(session: Session, now: datetime) -> Live:
    db: Database | None = session.info.get("database")
    ttl = db.settings.promotions_cache_ms / 1000 if db is not None else 0
    if db is None or ttl <= 0:
        return live_promotions(session=session, now=now)
    engine = db.engine
    with _lock:
        cached = _cache.get(engine)
    if cached is not None and cached.until > time.monotonic():
        return cached.live
    # Read before the promotions: a change committed in between makes the next check
    # rebuild again, never keeps a stale set under a new version.
    promotions, uses = _version(session)
    if cached is None or cached.promotions != promotions:
        # Every active promotion, not only those inside their window now: the engine
        # checks windows itself, so a promotion starting in a second is not missed.
        found = live_promotions(session=session, now=None)
    elif cached.uses != uses:
        found = replace(cached.live, used_up=_used_up(session))
    else:
        found = cached.live
    with _lock:
        _cache[engine] = _Cached(time.monotonic() + ttl, promotions, uses, found)
    return found


def forget(db: Database) -> None:
    """A promotion was written: the next read rebuilds them."""
    with _lock:
        _cache.pop(db.engine, None)


def limited_use_taken(db: Database) -> None:
    """A use of a promotion with a usage limit was taken or given back: the next read checks
    the uses (one aggregate) and reads the used-up set again if they moved."""
    with _lock:
        cached = _cache.get(db.engine)
        if cached is not None:
            _cache[db.engine] = replace(cached, until=0.0)
