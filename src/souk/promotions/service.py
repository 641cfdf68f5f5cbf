"""Promotion use cases for the marketer: create, read, change, retire promotions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.api.pagination import decode_cursor, encode_cursor
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.money import is_currency
from souk.promotions.live import forget
from souk.promotions.models import (
    ActionType,
)
from souk.promotions.schemas import (
    PromotionCreate,
    PromotionRead,
    PromotionUpdate,
)
from souk.promotions.tables import PromotionRow
from souk.text import cursor_key


def _check(data: PromotionCreate) -> None:
    errors = []
    currencies = {a.currency for a in data.actions if a.currency is not None}
    if data.conditions.min_subtotal is not None:
        currencies.add(data.conditions.min_subtotal.currency)
    for currency in sorted(currencies):
        if not is_currency(currency):
            errors.append(field_error("body.actions", f"{currency!r} is not ISO 4217"))
    if len(currencies) > 1:
        errors.append(field_error("body.actions", "amounts of one promotion share one currency"))
    types = [a.type for a in data.actions]
    if len(set(types)) != len(types):
        errors.append(field_error("body.actions", "an action type appears twice"))
    if ActionType.FIXED_PRICE in types and ActionType.PERCENT_OFF in types:
        errors.append(field_error("body.actions", "a fixed price and a percentage contradict"))
    if errors:
        raise ValidationFailed("The promotion is not valid", errors=errors)


def _row_values(data: PromotionCreate) -> dict[str, Any]:
    return {
        "name": data.name,
        "active": data.active,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "channels": sorted(set(data.channels)),
        "customer_tiers": sorted(set(data.customer_tiers)),
        "segments": sorted(set(data.segments)),
        "coupon_required": data.coupon_required,
        "conditions": data.conditions.model_dump(mode="json"),
        "actions": [a.model_dump(mode="json", exclude_none=True) for a in data.actions],
        "priority": data.priority,
        "stacking": data.stacking.value,
        "usage_limit": data.usage_limit,
        "per_customer_limit": data.per_customer_limit,
    }


def to_read(row: PromotionRow) -> PromotionRead:
    return PromotionRead.model_validate(
        {
            **{k: getattr(row, k) for k in _row_values_keys()},
            "id": row.id,
            "times_used": row.times_used,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _row_values_keys() -> Sequence[str]:
    return [
        "name",
        "active",
        "starts_at",
        "ends_at",
        "channels",
        "customer_tiers",
        "segments",
        "coupon_required",
        "conditions",
        "actions",
        "priority",
        "stacking",
        "usage_limit",
        "per_customer_limit",
    ]


def create_promotion(*, uow: UnitOfWork, data: PromotionCreate) -> PromotionRead:
    _check(data)
    now = utcnow()
    with uow:
        row = PromotionRow(
            id=new_id("prm"),
            times_used=0,
            deleted=False,
            created_at=now,
            updated_at=now,
            **_row_values(data),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.emit("promotion.created", {"id": row.id})
        answer = to_read(row)
        uow.commit()
    forget(uow.db)
    return answer


def load(session: Session, promotion_id: str, *, for_update: bool = False) -> PromotionRow:
    stmt = select(PromotionRow).where(
        PromotionRow.id == promotion_id, PromotionRow.deleted.is_(False)
    )
    row = session.scalar(stmt.with_for_update() if for_update else stmt)
    if row is None:
        raise NotFound(f"No promotion {promotion_id}")
    return row


def get_promotion(*, uow: UnitOfWork, promotion_id: str) -> PromotionRead:
    with uow:
        return to_read(load(uow.session, promotion_id))


def list_promotions(
    *, uow: UnitOfWork, limit: int, cursor: str | None, active: bool | None
) -> tuple[list[PromotionRead], str | None]:
    key = cursor_key(decode_cursor(cursor), str)
    with uow:
        stmt = select(PromotionRow).where(PromotionRow.deleted.is_(False))
        if active is not None:
            stmt = stmt.where(PromotionRow.active.is_(active))
        if key is not None:
            stmt = stmt.where(PromotionRow.id > key[0])
        rows = uow.session.scalars(stmt.order_by(PromotionRow.id).limit(limit + 1)).all()
        data = [to_read(r) for r in rows[:limit]]
    return data, encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None


def update_promotion(*, uow: UnitOfWork, promotion_id: str, data: PromotionUpdate) -> PromotionRead:
    changes = data.model_dump(exclude_unset=True)
    with uow:
        row = load(uow.session, promotion_id, for_update=True)
        for name, value in changes.items():
            setattr(row, name, value)
        if row.starts_at and row.ends_at and row.ends_at <= row.starts_at:
            raise ValidationFailed(
                "The promotion is not valid",
                errors=[field_error("body.ends_at", "must be after `starts_at`")],
            )
        row.updated_at = utcnow()
        uow.emit("promotion.updated", {"id": row.id, "changed": sorted(changes)})
        answer = to_read(row)
        uow.commit()
    forget(uow.db)
    return answer


def delete_promotion(*, uow: UnitOfWork, promotion_id: str) -> None:
    """Retired, not erased: orders that used it keep naming it in their adjustments."""
    with uow:
        row = load(uow.session, promotion_id, for_update=True)
        row.deleted, row.active, row.updated_at = True, False, utcnow()
        uow.emit("promotion.deleted", {"id": row.id})
        uow.commit()
    forget(uow.db)
