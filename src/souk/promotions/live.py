"""Every cart read asks which promotions are live; they change a few times a day. Each
process keeps the answer for `SOUK_PROMOTIONS_CACHE_MS` (2 s) per database, and forgets it
at once when it writes a promotion or takes a use, so a cart read costs no statement for
promotions in steady state.

Nothing that must hold exactly comes from here: a limit is taken by the conditional UPDATE
at checkout (`redemptions.redeem`), which also refuses a promotion retired meanwhile. The
cost is that another process may show a promotion created, changed or used up there up to
that long late.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


def live_promotions(*, session: Session, now: datetime | None) -> Live:
    """One query whatever the number of promotions: the engine filters the rest (channel,
    tier, coupon, and the window when `now` is None) in memory."""
    stmt = select(PromotionRow).where(
        PromotionRow.active.is_(True), PromotionRow.deleted.is_(False)
    )
    if now is not None:
        stmt = stmt.where(
            (PromotionRow.starts_at.is_(None)) | (PromotionRow.starts_at <= now),
            (PromotionRow.ends_at.is_(None)) | (PromotionRow.ends_at > now),
        )
    rows = session.scalars(stmt).all()
    return Live(
        promotions=[to_promotion(r) for r in rows],
        used_up=frozenset(
            r.id for r in rows if r.usage_limit is not None and r.times_used >= r.usage_limit
        ),
        per_customer={r.id: r.per_customer_limit for r in rows if r.per_customer_limit},
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
_cache: weakref.WeakKeyDictionary[Engine, tuple[float, Live]] = weakref.WeakKeyDictionary()


def live(session: Session, now: datetime) -> Live:
    db: Database | None = session.info.get("database")
    ttl = db.settings.promotions_cache_ms / 1000 if db is not None else 0
    if db is None or ttl <= 0:
        return live_promotions(session=session, now=now)
    engine = db.engine
    with _lock:
        cached = _cache.get(engine)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    # Every active promotion, not only those inside their window now: the engine checks
    # windows itself, so a promotion starting in a second is not missed meanwhile.
    found = live_promotions(session=session, now=None)
    with _lock:
        _cache[engine] = (time.monotonic() + ttl, found)
    return found


def forget(db: Database) -> None:
    with _lock:
        _cache.pop(db.engine, None)
