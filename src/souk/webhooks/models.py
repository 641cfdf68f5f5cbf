"""Pure rules of webhooks: which events exist, the retry schedule, what a payload carries,
which addresses may be called. No SQLAlchemy, no FastAPI, no network."""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

WILDCARD = "*"
SECRET_PREFIX = "whsec_"

# Every domain event an endpoint may ask for (API.md: `noun.verb`, past tense).
# tests/unit/webhooks check that every name the code emits is here.
EVENT_NAMES = frozenset(
    {
        "cart.abandoned",
        "channel.created",
        "channel.updated",
        "coupon.issued",
        "fulfillment_hold.created",
        "fulfillment_order.accepted",
        "fulfillment_order.cancelled",
        "fulfillment_order.collected",
        "fulfillment_order.created",
        "fulfillment_order.delivered",
        "fulfillment_order.packed",
        "fulfillment_order.ready",
        "fulfillment_order.rejected",
        "fulfillment_order.shipped",
        "gift_card.adjusted",
        "gift_card.issued",
        "inventory.changed",
        "inventory.low_stock",
        "journey.created",
        "listing.changed",
        "loyalty.points_adjusted",
        "loyalty.points_clawed_back",
        "loyalty.points_earned",
        "loyalty.program_changed",
        "message.sent",
        "order.cancelled",
        "order.placed",
        "order.routed",
        "prices.changed",
        "product.created",
        "product.deleted",
        "product.updated",
        "profile.churn_risk",
        "profile.consent_changed",
        "profile.erased",
        "profile.merged",
        "profile.unmerged",
        "promotion.codes_added",
        "promotion.created",
        "promotion.deleted",
        "promotion.updated",
        "refund.issued",
        "return.received",
        "return.requested",
        "risk.held",
        "risk.reviewed",
        "segment.entered",
        "segment.exited",
        "shipment.shipped",
        "shipment.tracking_updated",
        "stock.discrepancy_raised",
    }
)

# The Standard Webhooks / Svix schedule after the first attempt: 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h — about a day and a half before a delivery is given up.
SPEC_SCHEDULE_S: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
# Retries spread ±20% so that endpoints coming back up are not hit by a synchronised wave.
JITTER = 0.2
# A Retry-After longer than this is taken as this: an endpoint cannot park deliveries forever.
MAX_RETRY_AFTER_S = 24 * 3600

# Which payload key names the object an event is about, so that its events go out in order.
OBJECT_KEYS = ("order_id", "fulfillment_order_id", "return_id", "profile_id", "sku", "id", "code")
# Where an integrator fetches the whole object (payloads carry only ids and changed fields).
FETCH_PATHS = {
    "order": "/v1/orders/{}",
    "fulfillment_order": "/v1/fulfillment-orders/{}",
    "return": "/v1/returns/{}",
    "product": "/v1/products/{}",
    "profile": "/v1/profiles/{}",
    "promotion": "/v1/promotions/{}",
    "gift_card": "/v1/gift-cards/{}",
}
MAX_STRING = 200
EVENT_PATTERN = re.compile(r"^[a-z_]+\.[a-z_]+$")


def unknown_events(events: Iterable[str]) -> list[str]:
    return [e for e in events if e != WILDCARD and e not in EVENT_NAMES]


def wants(subscribed: Sequence[str], event_name: str) -> bool:
    return WILDCARD in subscribed or event_name in subscribed


def retry_delay(
    *,
    attempts: int,
    schedule: Sequence[float],
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> timedelta | None:
    """How long to wait after the `attempts`-th failed attempt; None when the schedule is
    spent (the delivery is dead-lettered). A Retry-After the endpoint sent is honoured when
    it asks for longer than the schedule would wait."""
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    jittered = base * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after_s is not None:
        jittered = max(jittered, min(retry_after_s, MAX_RETRY_AFTER_S))
    return timedelta(seconds=max(jittered, 0.0))


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def signing_secrets(
    *, secret: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> tuple[str, ...]:
    """The secrets a delivery is signed with: the current one, and during a rotation's
    overlap the previous one too, so receivers can switch at their own pace."""
    if previous and previous_expires_at is not None and previous_expires_at > now:
        return (secret, previous)
    return (secret,)


def object_key(event_name: str, payload: dict[str, Any]) -> str:
    """The object an event is about (`order:ord_…`): its deliveries go out in order."""
    noun = event_name.split(".", 1)[0]
    for key in OBJECT_KEYS:
        value = payload.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            owner = noun if key in ("id", "code", "sku") else key.removesuffix("_id")
            return f"{owner}:{value}"[:200]
    return f"{noun}:*"


def _small(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_STRING
    if isinstance(value, dict):  # money {amount, currency} and the like
        return len(value) <= 4 and all(
            _small(v) and not isinstance(v, dict) for v in value.values()
        )
    return False


def slim_payload(event_name: str, payload: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """Ids and changed fields only; lists and large values are left for the fetch URL."""
    data = {k: v for k, v in payload.items() if _small(v)}
    key = object_key(event_name, payload)
    owner, _, ident = key.partition(":")
    path = FETCH_PATHS.get(owner)
    if path is not None and ident != "*":
        data["url"] = base_url.rstrip("/") + path.format(ident)
    return data


def address_is_public(address: str) -> bool:
    """False for loopback, private, link-local, shared, reserved, multicast or unspecified
    addresses — where a forged webhook URL would reach the operator's own network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
