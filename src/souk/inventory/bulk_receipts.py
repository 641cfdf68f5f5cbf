"""Receipts of many lines at once — opening stock at go-live, a bulk import — written the
way `record_movement` writes one: on hand raised and a ledger entry per line (invariant 2),
but in a few statements per 500 lines instead of several per line. Emits no events: a bulk
load is not a stream of stock changes anyone subscribes to.

Added by the catalog engineer for `souk demo load`; the inventory domain owns it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import islice

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from souk.catalog.queries import VariantInfo, variants_by_sku
from souk.db.base import utcnow
from souk.errors import ValidationFailed, field_error
from souk.inventory.models import MovementType
from souk.inventory.queries import location_ids
from souk.inventory.stock import ensure_stock, stock_t
from souk.inventory.tables import stock_movements

CHUNK = 500


def receive_many(
    *,
    session: Session,
    lines: Sequence[tuple[str, str, int]],
    reference: str | None = None,
    now: datetime | None = None,
) -> int:
    """Receive (sku, location code, units) lines in the caller's transaction; all or none.
    Returns the number of movements written."""
    now = now or utcnow()
    variants = variants_by_sku(session=session, skus={sku for sku, _, _ in lines})
    locations = location_ids(session=session, codes={loc for _, loc, _ in lines})
    errors = []
    for i, (sku, location, units) in enumerate(lines):
        if sku not in variants:
            errors.append(field_error(f"lines.{i}.sku", f"unknown SKU {sku!r}"))
        if location not in locations:
            errors.append(field_error(f"lines.{i}.location", f"unknown location {location!r}"))
        if units <= 0:
            errors.append(field_error(f"lines.{i}.quantity", "a receipt is a positive count"))
    if errors:
        raise ValidationFailed("Some receipts are not valid; none was recorded", errors=errors)
    iterator = iter(lines)
    while chunk := list(islice(iterator, CHUNK)):
        _receive_chunk(session, chunk, variants, locations, reference, now)
    return len(lines)


def _receive_chunk(
    session: Session,
    chunk: list[tuple[str, str, int]],
    variants: dict[str, VariantInfo],
    locations: dict[str, int],
    reference: str | None,
    now: datetime,
) -> None:
    keyed = [((variants[sku].variant_id, locations[loc]), units) for sku, loc, units in chunk]
    stock_ids = ensure_stock(session, pairs=[key for key, _ in keyed], now=now)
    # Lock the rows (PostgreSQL) and start from their current on hand, so that the ledger's
    # running balance stays right even if the rows already held stock.
    rows = session.execute(
        select(stock_t.c.id, stock_t.c.on_hand)
        .where(stock_t.c.id.in_(list(stock_ids.values())))
        .with_for_update()
    )
    on_hand: dict[int, int] = {row[0]: row[1] for row in rows}
    movements = []
    for (variant_id, location_id), units in keyed:
        sid = stock_ids[(variant_id, location_id)]
        on_hand[sid] += units
        movements.append(
            {
                "stock_id": sid,
                "variant_id": variant_id,
                "location_id": location_id,
                "type": MovementType.RECEIPT.value,
                "quantity": units,
                "on_hand_after": on_hand[sid],
                "reason": None,
                "reference": reference,
                "created_at": now,
            }
        )
    session.execute(
        update(stock_t)
        .where(stock_t.c.id == bindparam("sid"))
        .values(on_hand=bindparam("new_on_hand"), updated_at=now),
        [{"sid": sid, "new_on_hand": value} for sid, value in on_hand.items()],
    )
    session.execute(insert(stock_movements), movements)
