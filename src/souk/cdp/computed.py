"""Computed traits of a profile from its orders and its last activity — pure arithmetic.

Lifetime value uses a documented simple model rather than `lifetimes` (BG/NBD +
Gamma-Gamma): that library is in maintenance mode, fits population parameters that need
many customers with repeat purchases (a new shop has neither), and refitting it cannot be
done incrementally per event. The model here is readable and updates on every order:

    purchase rate  λ = orders / max(tenure, 30 days)      (orders per day)
    alive          p = exp(−recency / expected gap),  expected gap = 1 / λ
    CLV(365 days)  = AOV × λ × 365 × p

`churn_risk` is 1 − p. RFM scores are 1–5 on fixed bins (documented in
docs/customer-data.md), so a score moves only when the profile itself changes."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

RECENCY_BINS = (365, 180, 90, 30)  # days: > 365 → 1, ≤ 30 → 5
FREQUENCY_BINS = (1, 2, 4, 8)  # orders: 1 → 1, ≥ 9 → 5
MONETARY_BINS = (2_000, 5_000, 20_000, 50_000)  # minor units of the main currency


@dataclass(frozen=True, slots=True)
class OrderFact:
    channel: str
    source: str
    currency: str
    total: int
    placed_at: datetime
    categories: tuple[str, ...] = ()
    returned: int = 0


def _score(value: float, bins: tuple[int, ...], *, higher_is_better: bool) -> int:
    above = sum(1 for b in bins if value > b)
    return 1 + above if higher_is_better else 5 - above


def compute(
    orders: list[OrderFact], *, last_seen: datetime | None, now: datetime
) -> dict[str, Any]:
    seen = max([o.placed_at for o in orders] + ([last_seen] if last_seen else []), default=None)
    result: dict[str, Any] = {
        "orders_count": len(orders),
        "last_seen": seen.isoformat() if seen else None,
    }
    if not orders:
        return result
    currency = Counter(o.currency for o in orders).most_common(1)[0][0]
    main = [o for o in orders if o.currency == currency]
    revenue = sum(o.total - o.returned for o in main)
    aov = revenue / len(main)
    first = min(o.placed_at for o in orders)
    last = max(o.placed_at for o in orders)
    recency_days = max((now - last).total_seconds() / 86_400, 0.0)
    tenure_days = max((now - first).total_seconds() / 86_400, 30.0)
    rate = len(orders) / tenure_days
    alive = math.exp(-recency_days * rate)
    channels = Counter(o.channel for o in orders)
    categories = Counter(c for o in orders for c in o.categories)
    category_total = sum(categories.values())
    result.update(
        {
            "currency": currency,
            "revenue": revenue,
            "aov": round(aov),
            "first_order_at": first.isoformat(),
            "last_order_at": last.isoformat(),
            "recency_days": round(recency_days, 1),
            "frequency_per_30d": round(rate * 30, 3),
            "rfm": {
                "r": _score(recency_days, RECENCY_BINS, higher_is_better=False),
                "f": _score(len(orders), FREQUENCY_BINS, higher_is_better=True),
                "m": _score(revenue, MONETARY_BINS, higher_is_better=True),
            },
            "clv_365d": round(aov * rate * 365 * alive),
            "churn_risk": round(1 - alive, 3),
            "preferred_channel": sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))[0][0],
            "channels": dict(sorted(channels.items())),
            "in_store_orders": sum(1 for o in orders if o.source == "pos"),
            "category_affinities": {
                c: round(n / category_total, 3) for c, n in sorted(categories.items())
            },
        }
    )
    return result


ROPO_DAYS = 30


@dataclass(frozen=True, slots=True)
class Touch:
    sku: str
    at: datetime


def ropo(
    views: list[Touch], store_purchases: list[Touch], *, days: int = ROPO_DAYS
) -> list[dict[str, Any]]:
    """Research online, purchase offline: each in-store purchase of a SKU that the person
    viewed online in the `days` before, attributed to the latest such view."""
    attributed = []
    for bought in store_purchases:
        seen = [
            v.at
            for v in views
            if v.sku == bought.sku and bought.at - timedelta(days=days) <= v.at <= bought.at
        ]
        if seen:
            attributed.append(
                {"sku": bought.sku, "viewed_at": max(seen).isoformat(),
                 "bought_at": bought.at.isoformat()}
            )  # fmt: skip
    return attributed
