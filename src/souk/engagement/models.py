"""Engagement's pure rules: triggers and channels, deterministic experiment assignment,
locale fallback, quiet hours in the customer's time zone. No SQLAlchemy, no FastAPI."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Trigger(StrEnum):
    CART_ABANDONED = "cart.abandoned"
    ORDER_PLACED = "order.placed"
    ORDER_DELIVERED = "order.delivered"
    READY_FOR_PICKUP = "fulfillment_order.ready"
    BACK_IN_STOCK = "back_in_stock"
    PRICE_DROP = "price_drop"
    CHURN_RISK = "churn_risk"
    SEGMENT_ENTERED = "segment.entered"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    weight: int


def bucket(experiment_id: str, profile_id: str) -> float:
    """A number in [0, 1) fixed by the pair: the same profile always lands in the same
    variant, in every process, without storing anything first."""
    digest = hashlib.sha256(f"{experiment_id}:{profile_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment_id: str, profile_id: str, variants: Sequence[Variant]) -> str:
    total = sum(v.weight for v in variants)
    point = bucket(experiment_id, profile_id) * total
    upto = 0
    for variant in variants:
        upto += variant.weight
        if point < upto:
            return variant.name
    return variants[-1].name


def pick_locale(available: Sequence[str], wanted: Sequence[str | None], default: str) -> str:
    """The first of the wanted locales a template exists for, trying `fr-CA` then `fr`,
    then the default locale, then whatever the journey has first."""
    by_lower = {a.lower().replace("_", "-"): a for a in available}
    for locale in wanted:
        if not locale:
            continue
        norm = locale.lower().replace("_", "-")
        for candidate in (norm, norm.split("-")[0]):
            if candidate in by_lower:
                return by_lower[candidate]
        for key, original in by_lower.items():
            if key.split("-")[0] == norm.split("-")[0]:
                return original
    if default.lower() in by_lower:
        return by_lower[default.lower()]
    return available[0]


def zone(name: object, fallback: str) -> ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(fallback)


def quiet_until(now: datetime, tz: ZoneInfo, start: time, end: time) -> datetime | None:
    """When the quiet hours that `now` falls in end (in UTC), or None outside them. The
    window may wrap midnight (21:00–08:00)."""
    local = now.astimezone(tz)
    t = local.time()
    wraps = start > end
    inside = (t >= start or t < end) if wraps else (start <= t < end)
    if not inside or start == end:
        return None
    day = local.date()
    if wraps and t >= start:
        day += timedelta(days=1)
    ends = datetime.combine(day, end, tzinfo=tz)
    return ends.astimezone(now.tzinfo)
