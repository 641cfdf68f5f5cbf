"""Gathering an order's facts for screening: its checkout context, its buyer's account age,
declined payments on its cart, and velocity counted on earlier assessments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from souk.customers.tables import CustomerRow
from souk.orders.tables import OrderRow
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


def keys_of(order: OrderRow) -> Keys:
    context: dict[str, Any] = order.checkout_context or {}
    card = context.get("card_fingerprint")
    return Keys(
        card=str(card) if card else None,
        email=email_key(order.email),
        ip=context.get("ip") or None,
        device=context.get("device_id") or None,
    )


def _count(
    session: Session,
    column: Any,
    value: str | None,
    order_id: str,
    since: datetime,
    until: datetime,
) -> int | None:
    if value is None:
        return None
    return int(
        session.scalar(
            select(func.count())
            .select_from(RiskAssessmentRow)
            .where(
                column == value,
                RiskAssessmentRow.placed_at >= since,
                RiskAssessmentRow.placed_at <= until,
                RiskAssessmentRow.order_id != order_id,
            )
        )
        or 0
    )


def _country(value: object) -> str | None:
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def facts_of(session: Session, order: OrderRow, keys: Keys, *, high_value: dict[str, int]) -> Facts:
    context: dict[str, Any] = order.checkout_context or {}
    at = order.placed_at
    day, hour = at - timedelta(hours=24), at - timedelta(hours=1)
    r = RiskAssessmentRow
    age: float | None = None
    if order.customer_id is not None:
        created = session.scalar(
            select(CustomerRow.created_at).where(CustomerRow.id == order.customer_id)
        )
        if created is not None:
            age = max(0.0, (at - created).total_seconds() / 86400)
    declined = 0
    if order.cart_id is not None:
        declined = int(
            session.scalar(
                select(func.count())
                .select_from(PaymentRow)
                .where(PaymentRow.cart_id == order.cart_id, PaymentRow.status == "declined")
            )
            or 0
        )
    fulfillment = order.fulfillment or {}
    return Facts(
        card_orders_24h=_count(session, r.card_key, keys.card, order.id, day, at),
        email_orders_24h=_count(session, r.email_key, keys.email, order.id, day, at),
        ip_orders_1h=_count(session, r.ip, keys.ip, order.id, hour, at),
        device_orders_24h=_count(session, r.device, keys.device, order.id, day, at),
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
