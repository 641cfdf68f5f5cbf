"""Atomic operations on stock rows — the concurrency core of "never oversell".

Every change is one conditional UPDATE whose WHERE clause is the rule, so the database
decides, whatever the number of processes: on PostgreSQL the row lock taken by the UPDATE
makes a concurrent one wait and re-check the WHERE clause on the new row (READ COMMITTED
re-evaluation); on SQLite a write transaction holds the database's write lock from BEGIN
IMMEDIATE. No in-process lock is involved.

Expired reservations: `reserved` may still contain units of reservations past their expiry.
Readers add them back (`expired_held`), and a conditional UPDATE that fails first releases
the expired lines of that row, in the same transaction, then tries once more. So an expired
reservation never blocks a sale, and the hot path costs one statement when nothing expired.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, select, update
from sqlalchemy.orm import Session

from souk.catalog.tables import VariantRow
from souk.db.base import table_of
from souk.db.dialects import upsert_insert
from souk.inventory.models import StockFigures
from souk.inventory.tables import LocationRow, reservation_lines, stock_levels

stock_t = stock_levels
lines_t = reservation_lines

FIGURES = (
    stock_t.c.on_hand,
    stock_t.c.reserved,
    stock_t.c.allocated,
    stock_t.c.safety_stock,
    stock_t.c.inbound,
    stock_t.c.low_stock_threshold,
)
AVAILABLE = stock_t.c.on_hand - stock_t.c.reserved - stock_t.c.allocated - stock_t.c.safety_stock


@dataclass(frozen=True, slots=True)
class LiveStock:
    id: int
    variant_id: int
    location_id: int
    figures: StockFigures
    low_stock_threshold: int


@dataclass(frozen=True, slots=True)
class Changed:
    """A stock row's figures right after an update (from RETURNING)."""

    figures: StockFigures
    low_stock_threshold: int


# Core, on the tables, like `stock_t`: the ORM's result machinery cost more than the
# statements (every checkout reads and labels its stock rows).
_variants = table_of(VariantRow)
_locations = table_of(LocationRow)


def expired_held(now: datetime | BindParameter[datetime]) -> Any:
    """Units of this row held by reservations that have expired but are not yet released
    (`now` a value, or a bound parameter for a statement built once)."""
    return (
        select(func.coalesce(func.sum(lines_t.c.quantity), 0))
        .where(
            lines_t.c.stock_id == stock_t.c.id,
            lines_t.c.status == "held",
            lines_t.c.expires_at <= now,
        )
        .scalar_subquery()
    )


def read_stock(
    session: Session,
    *,
    now: datetime,
    variant_ids: Collection[int] | None = None,
    location_ids: Collection[int] | None = None,
    stock_ids: Collection[int] | None = None,
    lock: bool = False,
) -> dict[tuple[int, int], LiveStock]:
    """Live figures (expired reservations not counted), keyed by (variant_id, location_id)."""
    stmt = select(stock_t.c.id, stock_t.c.variant_id, stock_t.c.location_id, *FIGURES)
    if not lock:
        stmt = stmt.add_columns(expired_held(now))
    if variant_ids is not None:
        stmt = stmt.where(stock_t.c.variant_id.in_(list(variant_ids)))
    if location_ids is not None:
        stmt = stmt.where(stock_t.c.location_id.in_(list(location_ids)))
    if stock_ids is not None:
        stmt = stmt.where(stock_t.c.id.in_(list(stock_ids)))
    if lock:
        # FOR UPDATE cannot sit beside an aggregate subquery on PostgreSQL: tidy instead.
        stmt = stmt.order_by(stock_t.c.id).with_for_update()
    rows = session.execute(stmt).all()
    if lock and rows:
        release_expired(session, stock_ids=[r[0] for r in rows], now=now)
        return read_stock(session, now=now, stock_ids=[r[0] for r in rows])
    return {(r[1], r[2]): _live(r) for r in rows}


def read_stock_at(
    session: Session, *, now: datetime, variant_ids: Collection[int], codes: Collection[str]
) -> dict[tuple[int, str], LiveStock]:
    """Live figures at the locations named by `codes`, keyed by (variant_id, code): one query
    where the ids of the locations are not known yet."""
    params = {"variants": list(variant_ids), "codes": list(codes), "now": now}
    rows = session.execute(_STOCK_AT, params).all()
    return {(r[1], r[-1]): _live(r[:-1]) for r in rows}


# Built once: every checkout's reservation reads it.
_STOCK_AT = (
    select(
        stock_t.c.id,
        stock_t.c.variant_id,
        stock_t.c.location_id,
        *FIGURES,
        expired_held(bindparam("now", type_=lines_t.c.expires_at.type)),
        _locations.c.code,
    )
    .join(_locations, _locations.c.id == stock_t.c.location_id)
    .where(
        stock_t.c.variant_id.in_(bindparam("variants", expanding=True)),
        _locations.c.code.in_(bindparam("codes", expanding=True)),
    )
)


def _live(row: Any) -> LiveStock:
    sid, vid, lid, on_hand, reserved, allocated, safety, inbound, threshold, expired = row
    figures = StockFigures(on_hand, reserved - int(expired), allocated, safety, inbound)
    return LiveStock(sid, vid, lid, figures, threshold)


def ensure_stock(
    session: Session, *, pairs: Iterable[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], int]:
    """The stock row id of each (variant_id, location_id), creating missing rows."""
    wanted = set(pairs)
    if not wanted:
        return {}
    found = _stock_ids(session, wanted)
    missing = wanted - found.keys()
    if missing:
        stmt = upsert_insert(session, stock_t).values(
            [{"variant_id": v, "location_id": loc, "updated_at": now} for v, loc in missing]
        )
        # Two first receipts may race to create the row: the loser takes the winner's.
        session.execute(stmt.on_conflict_do_nothing(index_elements=["variant_id", "location_id"]))
        found = _stock_ids(session, wanted)
    return found


def _stock_ids(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    variants = {v for v, _ in pairs}
    locations = {loc for _, loc in pairs}
    rows = session.execute(
        select(stock_t.c.variant_id, stock_t.c.location_id, stock_t.c.id).where(
            stock_t.c.variant_id.in_(variants), stock_t.c.location_id.in_(locations)
        )
    )
    return {(v, loc): sid for v, loc, sid in rows if (v, loc) in pairs}


def release_expired(session: Session, *, stock_ids: Collection[int], now: datetime) -> int:
    """Give back the units of expired reservations on these rows; returns how many."""
    freed: dict[int, int] = {}
    rows = session.execute(
        update(lines_t)
        .where(
            lines_t.c.stock_id.in_(list(stock_ids)),
            lines_t.c.status == "held",
            lines_t.c.expires_at <= now,
        )
        .values(status="expired")
        .returning(lines_t.c.stock_id, lines_t.c.quantity)
    )
    for stock_id, quantity in rows:
        freed[stock_id] = freed.get(stock_id, 0) + quantity
    for stock_id, quantity in sorted(freed.items()):
        adjust(session, stock_id=stock_id, now=now, reserved=-quantity)
    return sum(freed.values())


def commit_units(
    session: Session,
    *,
    stock_id: int,
    column: Literal["reserved", "allocated"],
    quantity: int,
    now: datetime,
    conditional: bool = True,
) -> Changed | None:
    """Move `quantity` available units into `column`; None if they are not available.

    Unconditional only for a variant that allows backorders.
    """
    stmt = _commit_statement(column, conditional)
    params = {"stock": stock_id, "units": quantity, "now": now}
    row = session.execute(stmt, params).first()
    if row is None and conditional and release_expired(session, stock_ids=[stock_id], now=now):
        row = session.execute(stmt, params).first()
    return _changed(row)


# The hot statements are built once per shape (and so is their cache key): every checkout
# sends several of them, and building one cost more than running it.
@cache
def _commit_statement(column: Literal["reserved", "allocated"], conditional: bool) -> Any:
    units: BindParameter[int] = bindparam("units")
    condition = (units <= AVAILABLE,) if conditional else ()
    return _built_update(condition, {column: stock_t.c[column] + units})


@cache
def _adjust_statement(columns: tuple[str, ...]) -> Any:
    return _built_update((), {name: stock_t.c[name] + bindparam(f"d_{name}") for name in columns})


def _built_update(condition: tuple[ColumnElement[bool], ...], values: dict[str, Any]) -> Any:
    return (
        update(stock_t)
        .where(stock_t.c.id == bindparam("stock"), *condition)
        .values(updated_at=bindparam("now"), **values)
        .returning(*FIGURES)
    )


Floor = Literal["none", "zero", "available"]


def change_on_hand(
    session: Session, *, stock_id: int, delta: int, now: datetime, floor: Floor
) -> Changed | None:
    """Add `delta` to on hand; None if it would cross `floor` (zero on hand, or — for units
    leaving without an allocation — what is not committed to anyone)."""
    condition: tuple[ColumnElement[bool], ...] = ()
    if floor == "zero":
        condition = (stock_t.c.on_hand + delta >= 0,)
    elif floor == "available":
        condition = (AVAILABLE + delta >= 0,)
    stmt = _update(stock_id, condition, now, {"on_hand": stock_t.c.on_hand + delta})
    row = session.execute(stmt).first()
    expired = row is None and floor == "available"
    if expired and release_expired(session, stock_ids=[stock_id], now=now):
        row = session.execute(stmt).first()
    return _changed(row)


def adjust(session: Session, *, stock_id: int, now: datetime, **deltas: int) -> Changed:
    """Unconditional changes of figures that are already accounted for (a reservation
    becoming an allocation, a release, inbound of a shipped transfer)."""
    stmt = _adjust_statement(tuple(sorted(deltas)))
    params = {"stock": stock_id, "now": now, **{f"d_{k}": v for k, v in deltas.items()}}
    changed = _changed(session.execute(stmt, params).first())
    if changed is None:
        raise LookupError(f"stock row {stock_id} vanished")
    return changed


def set_figures(session: Session, *, stock_id: int, now: datetime, **values: int) -> Changed:
    changed = _changed(session.execute(_update(stock_id, (), now, values)).first())
    if changed is None:
        raise LookupError(f"stock row {stock_id} vanished")
    return changed


def _update(
    stock_id: int, condition: tuple[ColumnElement[bool], ...], now: datetime, values: dict[str, Any]
) -> Any:
    return (
        update(stock_t)
        .where(stock_t.c.id == stock_id, *condition)
        .values(updated_at=now, **values)
        .returning(*FIGURES)
    )


def _changed(row: Any) -> Changed | None:
    if row is None:
        return None
    on_hand, reserved, allocated, safety, inbound, threshold = row
    return Changed(StockFigures(on_hand, reserved, allocated, safety, inbound), threshold)


@dataclass(frozen=True, slots=True)
class StockLabel:
    variant_id: int
    location_id: int
    sku: str
    location: str


_LABELS = (
    select(
        stock_t.c.id,
        stock_t.c.variant_id,
        stock_t.c.location_id,
        _variants.c.sku,
        _locations.c.code,
    )
    .join(_variants, _variants.c.id == stock_t.c.variant_id)
    .join(_locations, _locations.c.id == stock_t.c.location_id)
    .where(stock_t.c.id.in_(bindparam("stocks", expanding=True)))
)


def stock_labels(session: Session, *, stock_ids: Collection[int]) -> dict[int, StockLabel]:
    """SKU and location code of stock rows (for answers and events)."""
    if not stock_ids:
        return {}
    rows = session.execute(_LABELS, {"stocks": list(stock_ids)})
    return {sid: StockLabel(vid, lid, sku, code) for sid, vid, lid, sku, code in rows}
