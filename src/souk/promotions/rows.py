"""Stored promotions as the engine's values."""

from __future__ import annotations

from typing import Any

from souk.promotions.models import (
    Action,
    ActionType,
    Conditions,
    Promotion,
    Stacking,
    Target,
)
from souk.promotions.schemas import percent_value
from souk.promotions.tables import PromotionRow


def to_promotion(row: PromotionRow) -> Promotion:
    """The stored promotion as the engine's value."""
    c = row.conditions
    minimum = c.get("min_subtotal") or {}
    return Promotion(
        id=row.id,
        name=row.name,
        active=row.active and not row.deleted,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        channels=frozenset(row.channels),
        customer_tiers=frozenset(row.customer_tiers),
        segments=frozenset(row.segments),
        coupon_required=row.coupon_required,
        priority=row.priority,
        stacking=Stacking(row.stacking),
        conditions=Conditions(
            min_subtotal=minimum.get("amount"),
            min_subtotal_currency=minimum.get("currency"),
            min_quantity=c.get("min_quantity"),
            skus=frozenset(c.get("skus") or ()),
            categories=frozenset(c.get("categories") or ()),
            first_order=bool(c.get("first_order")),
        ),
        actions=tuple(_action(a) for a in row.actions),
    )


def _action(a: dict[str, Any]) -> Action:
    kind = ActionType(a["type"])
    value = a.get("value")
    return Action(
        type=kind,
        target=Target(a["target"]),
        percent=percent_value(value) if kind == ActionType.PERCENT_OFF else None,
        amount=value if isinstance(value, int) else None,
        currency=a.get("currency"),
        buy=a.get("buy"),
        get=a.get("get"),
        sku=a.get("sku"),
    )
