"""The dashboard's figures, from one function, so that the analytics API (built apart)
can replace how they are computed without touching the screen.

Today they are computed from the orders service, newest first, over at most
`MAX_ORDERS` orders of the period: enough for a demo or a small shop, and said on the
screen when the cap cut the period short.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from souk.access.models import Principal, Role
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.orders import reads

MAX_ORDERS = 2000
PAGE = 200
RETURNED = {"returned", "partially_returned"}
ANALYST = Principal(key_id="console:dashboard", role=Role.ADMIN)


@dataclass
class Figures:
    since: datetime
    orders: int = 0
    truncated: bool = False
    # (channel, currency) → minor units
    sales_by_channel: dict[tuple[str, str], int] = field(default_factory=dict)
    sales_by_region: dict[tuple[str, str], int] = field(default_factory=dict)
    pickup_orders: int = 0
    returned_by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def pickup_share(self) -> float:
        return self.pickup_orders / self.orders if self.orders else 0.0


def dashboard_figures(*, db: Database, days: int, now: datetime | None = None) -> Figures:
    since = (now or utcnow()) - timedelta(days=days)
    figures = Figures(since=since)
    by_channel: defaultdict[tuple[str, str], int] = defaultdict(int)
    by_region: defaultdict[tuple[str, str], int] = defaultdict(int)
    returned: Counter[str] = Counter()
    cursor: str | None = None
    while True:
        rows, cursor = reads.orders_page(
            uow=UnitOfWork(db, write=False), principal=ANALYST, limit=PAGE, cursor=cursor
        )
        for order in rows:
            if order.placed_at < since:
                cursor = None
                break
            if figures.orders >= MAX_ORDERS:
                figures.truncated, cursor = True, None
                break
            figures.orders += 1
            total = order.totals.total
            by_channel[(order.channel, total.currency)] += total.amount
            country = (order.shipping_address or {}).get("country") or "in store / unknown"
            by_region[(str(country), total.currency)] += total.amount
            if (order.fulfillment or {}).get("type") == "pickup":
                figures.pickup_orders += 1
            if order.status in RETURNED:
                returned[order.channel] += 1
        if cursor is None:
            break
    figures.sales_by_channel = dict(sorted(by_channel.items()))
    figures.sales_by_region = dict(sorted(by_region.items()))
    figures.returned_by_channel = dict(sorted(returned.items()))
    return figures
