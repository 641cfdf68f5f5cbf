"""Gathering an order's facts for screening: its checkout context, its buyer's account age,
declined payments on its cart, and velocity counted on earlier assessments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from souk.customers.tables import CustomerRow
from souk.db.base import table_of
from souk.orders.placed import PlacedOrder
from souk.payments.tables import PaymentRow
from souk.risk.signals import Facts
from souk.risk.tables import RiskAssessmentRow


@dataclass(frozen=True, slots=True)
class Keys:
    """What velocity is counted by; kept on the assessment for the next orders."""

    card: str | None
    email: str | None
    ip: str | None
    device: str | None


def email_key(email: str | None) -> str | None:
    """A hash, not the address: the assessment outlives an erasure of the person."""
    if not email:
        return None
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def keys_of(order: PlacedOrder) -> Keys:
    context: dict[str, Any] = order.checkout_context or {}
    card = context.get("card_fingerprint")
    return Keys(
        card=str(card) if card else None,
        email=email_key(order.email),
        ip=context.get("ip") or None,
        device=context.get("device_id") or None,
    )


# Built once: every placed order is screened (as scalar subqueries of `_counts_statement`).
_customers, _payments = table_of(CustomerRow).c, table_of(PaymentRow)
_CREATED = select(_customers.created_at).where(_customers.id == bindparam("customer"))
_DECLINED = (
    select(func.count())
    .select_from(_payments)
    .where(_payments.c.cart_id == bindparam("cart"), _payments.c.status == "declined")
)


def _counts(
    session: Session, order: PlacedOrder, keys: Keys, at: datetime
) -> tuple[dict[str, int | None], int, datetime | None]:
    """Earlier assessments sharing each key (the card, email and device over 24 hours, the
    IP over one hour; None for a key the order does not have), the declined payments on the
    order's cart, and when its customer's account was made: all in one statement."""
    values = {"card": keys.card, "email": keys.email, "ip": keys.ip, "device": keys.device}
    present = tuple(name for name, value in values.items() if value is not None)
    counts: dict[str, int | None] = dict.fromkeys(values)
    cart, customer = order.cart_id is not None, order.customer_id is not None
    if not (present or cart or customer):
        return counts, 0, None
    params = {
        "day": at - timedelta(hours=24),
        "hour": at - timedelta(hours=1),
        "at": at,
        "order": order.id,
        "cart": order.cart_id,
        "customer": order.customer_id,
        **{f"key_{name}": values[name] for name in present},
    }
    found = session.execute(_counts_statement(present, cart, customer), params).one()
    counts.update({name: int(n) for name, n in zip(present, found, strict=False)})
    rest = list(found[len(present) :])
    declined = int(rest.pop(0) or 0) if cart else 0
    created = rest.pop(0) if customer else None
    return counts, declined, created


@cache
def _counts_statement(present: tuple[str, ...], cart: bool, customer: bool) -> Any:
    """The counting statement for the keys an order has (and its cart and customer), built
    once per such shape (every placed order is screened). The IP is counted over one hour,
    the others over a day."""
    r = table_of(RiskAssessmentRow).c  # Core: the ORM's result machinery cost more
    column = {"card": r.card_key, "email": r.email_key, "ip": r.ip, "device": r.device}
    since: dict[str, BindParameter[datetime]] = {
        name: bindparam("hour" if name == "ip" else "day") for name in present
    }
    same = {name: column[name] == bindparam(f"key_{name}") for name in present}
    counted = [
        func.coalesce(func.sum(case((and_(same[name], r.placed_at >= since[name]), 1), else_=0)), 0)
        for name in present
    ]
    extras = [
        *([_DECLINED.scalar_subquery()] if cart else []),
        *([_CREATED.scalar_subquery()] if customer else []),
    ]
    if not present:
        return select(*extras)
    return select(*counted, *extras).where(
        r.placed_at >= bindparam("day"),
        r.placed_at <= bindparam("at"),
        r.order_id != bindparam("order"),
        or_(*same.values()),
    )


def _country(value: object) -> str | None:
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def facts_of(
    session: Session, order: PlacedOrder, keys: Keys, *, high_value: dict[str, int]
) -> Facts:
    context: dict[str, Any] = order.checkout_context or {}
    at = order.placed_at
    velocity, declined, created = _counts(session, order, keys, at)
    age: float | None = None
    if created is not None:
        age = max(0.0, (at - created).total_seconds() / 86400)
    fulfillment = order.fulfillment or {}
    return Facts(
        card_orders_24h=velocity["card"],
        email_orders_24h=velocity["email"],
        ip_orders_1h=velocity["ip"],
        device_orders_24h=velocity["device"],
        billing_country=_country(context.get("billing_country")),
        shipping_country=_country((order.shipping_address or {}).get("country")),
        ip_country=_country(context.get("ip_country")),
        account_age_days=age,
        total=order.total,
        high_value=high_value.get(order.currency, 0),
        declined_payments=declined,
        pickup=fulfillment.get("type") == "pickup",
        pickup_by_other=bool(context.get("pickup_by_other")),
    )
