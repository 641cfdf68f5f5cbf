"""The periodic scan (run by `souk worker` every SOUK_ENGAGEMENT_INTERVAL_S): what no
request announces, because it is the absence of one. A cart untouched for
SOUK_ENGAGEMENT_CART_IDLE_S becomes `cart.abandoned` (once per version of the cart), a
profile whose churn risk reached SOUK_ENGAGEMENT_CHURN_THRESHOLD becomes
`profile.churn_risk` (once per last order). Marks make each announcement once, whatever
the number of scanners. The scan only reads the hot tables; it never runs on a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from souk.carts.abandoned import idle_carts
from souk.cdp import queries as cdp
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.engagement.rows import insert_once
from souk.engagement.tables import ScanMarkRow
from souk.pricing.queries import base_prices

BATCH = 500


@dataclass(frozen=True, slots=True)
class PriceDrop:
    sku: str
    currency: str
    old: int
    new: int


def _mark(uow: UnitOfWork, kind: str, key: str, now: datetime) -> bool:
    return insert_once(uow.session, ScanMarkRow, {"kind": kind, "key": key, "at": now})


def scan(
    *, uow: UnitOfWork, cart_idle_s: int, churn_threshold: float, now: datetime | None = None
) -> dict[str, int]:
    at = now or utcnow()
    found = {"cart.abandoned": 0, "profile.churn_risk": 0}
    with uow:
        s = uow.session
        for cart in idle_carts(
            session=s, untouched_since=at - timedelta(seconds=cart_idle_s), limit=BATCH
        ):
            if _mark(uow, "cart.abandoned", f"{cart.id}:{cart.version}", at):
                uow.emit(
                    "cart.abandoned",
                    {"cart_id": cart.id, "customer_id": cart.customer_id, "email": cart.email,
                     "channel": cart.channel, "idle_since": cart.updated_at.isoformat()},
                )  # fmt: skip
                found["cart.abandoned"] += 1
        for profile, last_order in cdp.at_churn_risk(s, threshold=churn_threshold, limit=BATCH):
            if _mark(uow, "profile.churn_risk", f"{profile}:{last_order}", at):
                uow.emit("profile.churn_risk", {"profile": profile, "last_order_at": last_order})
                found["profile.churn_risk"] += 1
        uow.commit()
    return found


def price_drops(uow: UnitOfWork, skus: list[str]) -> list[PriceDrop]:
    """Compare each SKU's base prices with the last ones seen (kept as marks) and remember
    the new ones; the first price seen of a SKU is no drop."""
    s = uow.session
    now = utcnow()
    drops: list[PriceDrop] = []
    for (sku, currency), amount in sorted(base_prices(session=s, skus=skus).items()):
        key = f"{sku}:{currency}"
        mark = s.scalars(
            select(ScanMarkRow)
            .where(ScanMarkRow.kind == "price", ScanMarkRow.key == key)
            .with_for_update()
        ).first()
        if mark is None:
            insert_once(
                s, ScanMarkRow, {"kind": "price", "key": key, "value": str(amount), "at": now}
            )
            continue
        if mark.value is not None and amount < int(mark.value):
            drops.append(PriceDrop(sku, currency, int(mark.value), amount))
        mark.value, mark.at = str(amount), now
    return drops
