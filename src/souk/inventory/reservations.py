"""Reservations: units held for a checkout (or an external system) until they expire.

A reservation is all its lines or nothing: every line's units are taken by a conditional
UPDATE (see `stock.py`) inside the caller's transaction, and one refused line raises
OutOfStock, so the caller's rollback undoes the others. Expired reservations never count,
and need no background job; `sweep_expired` only tidies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from souk.catalog.queries import VariantInfo, variants_by_sku
from souk.channels.models import Channel
from souk.db.base import new_id, utcnow
from souk.errors import OutOfStock, ValidationFailed, field_error
from souk.inventory import events
from souk.inventory.allocations import (
    allocate,
    allocate_direct,
    consume_allocation,
    deallocate,
)
from souk.inventory.events import Emit
from souk.inventory.fast_reserve import try_fast_path
from souk.inventory.models import ReservationInfo, ReservationStatus, ReservedLine, ReserveLine
from souk.inventory.movements import record_movement
from souk.inventory.planning import Demand, plan_draws
from souk.inventory.queries import location_ids
from souk.inventory.releases import free_lines, get_reservation, release
from souk.inventory.stock import (
    commit_units,
    ensure_stock,
    read_stock,
    read_stock_at,
)
from souk.inventory.tables import reservation_lines, reservations

__all__ = [
    "ReservationInfo",
    "ReserveLine",
    "allocate",
    "allocate_direct",
    "consume_allocation",
    "deallocate",
    "free_lines",
    "get_reservation",
    "record_movement",
    "release",
    "reserve",
]

reservations_t = reservations
lines_t = reservation_lines
MAX_REPLANS = 3
# Built once (every checkout reserves); the rows come as parameters.
_INSERT_RESERVATION = insert(reservations_t)
_INSERT_LINES = insert(lines_t)


def reserve(
    *,
    session: Session,
    channel: Channel,
    lines: Sequence[ReserveLine],
    expires_at: datetime,
    reference: str | None = None,
    now: datetime | None = None,
    emit: Emit | None = None,
    variants: Mapping[str, VariantInfo] | None = None,
) -> ReservationInfo:
    """Hold every line's units until `expires_at`, or raise OutOfStock listing the short lines.

    A line without a location draws from the channel's ship-from locations, in order.
    `variants`: the catalog's variants of the lines' SKUs when the caller has just read them
    (a checkout's plan); the SKUs it does not cover are read.
    """
    now = now or utcnow()
    fast = try_fast_path(
        session,
        channel=channel,
        lines=lines,
        expires_at=expires_at,
        reference=reference,
        now=now,
        emit=emit or events.session_emitter(session),
    )
    if fast is not None:
        return fast
    variants, codes = _validate(session, channel, lines, expires_at, now, variants)
    backorder = {sku for sku, v in variants.items() if v.allow_backorder}
    snapshot = read_stock_at(
        session, now=now, variant_ids={v.variant_id for v in variants.values()}, codes=codes
    )
    sku_of = {v.variant_id: sku for sku, v in variants.items()}
    available = {(sku_of[v], code): s.figures.available for (v, code), s in snapshot.items()}
    candidates = list(channel.ship_from)
    if backorder:
        # Backordered units may land where no stock row exists yet: only real locations.
        known = location_ids(session=session, codes=candidates)
        candidates = [code for code in candidates if code in known]
    demands = [Demand(line.sku, line.quantity, line.location) for line in lines]
    plan = plan_draws(demands, available=available, candidates=candidates, backorder=backorder)
    if not plan.ok:
        raise OutOfStock(plan.short)

    stock_ids = {key: live.id for key, live in snapshot.items()}
    keys = {(sku, code): (variants[sku].variant_id, code) for sku, code in plan.draws}
    missing = [key for key in keys.values() if key not in stock_ids]
    if missing:
        ids = location_ids(session=session, codes={code for _, code in missing})
        made = ensure_stock(session, pairs=[(v, ids[code]) for v, code in missing], now=now)
        stock_ids |= {(v, code): made[(v, ids[code])] for v, code in missing}
    draws = {stock_ids[keys[key]]: (key, units) for key, units in plan.draws.items()}
    reservation_id = new_id("res")
    # Everything without contention first; the hot row's lock is taken last, right before
    # the caller commits, so that it is held for as short a time as possible.
    session.execute(
        _INSERT_RESERVATION,
        {
            "id": reservation_id,
            "channel": channel.code,
            "reference": reference,
            "status": ReservationStatus.ACTIVE.value,
            "expires_at": expires_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    planned = {sid: units for sid, (_, units) in draws.items()}
    _insert_lines(session, reservation_id, planned, expires_at)
    taken: dict[tuple[str, str], int] = {}
    failed: list[tuple[int, str, str, int]] = []
    for stock_id in sorted(draws):
        (sku, code), units = draws[stock_id]
        changed = commit_units(
            session,
            stock_id=stock_id,
            column="reserved",
            quantity=units,
            now=now,
            conditional=sku not in backorder,
        )
        if changed is None:
            failed.append((stock_id, sku, code, units))
            continue
        taken[(sku, code)] = taken.get((sku, code), 0) + units
        events.low_stock_after_commit(
            emit or events.session_emitter(session), sku, code, units, changed
        )
    if failed:
        fixed = {(line.sku, line.location) for line in lines if line.location is not None}
        draft = _Draft(reservation_id, variants, candidates, expires_at, now, taken)
        _replan(session, draft, failed, fixed)
    reserved_lines = [ReservedLine(sku, code, units) for (sku, code), units in taken.items()]
    return ReservationInfo(
        id=reservation_id,
        expires_at=expires_at,
        lines=reserved_lines,
        channel=channel.code,
        reference=reference,
        status=ReservationStatus.ACTIVE,
        created_at=now,
        stock={stock_id: key for stock_id, (key, _) in draws.items()},
    )


def _validate(
    session: Session,
    channel: Channel,
    lines: Sequence[ReserveLine],
    expires_at: datetime,
    now: datetime,
    known_variants: Mapping[str, VariantInfo] | None = None,
) -> tuple[dict[str, VariantInfo], set[str]]:
    errors = []
    if not lines:
        errors.append(field_error("body.lines", "a reservation needs at least one line"))
    if expires_at <= now:
        errors.append(field_error("body.expires_in_s", "the reservation would already be expired"))
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            errors.append(field_error(f"body.lines.{i}.quantity", "must be at least 1"))
    skus = [line.sku for line in lines]
    given = known_variants or {}
    variants = {sku: given[sku] for sku in skus if sku in given}
    if len(variants) < len(set(skus)):
        variants |= variants_by_sku(session=session, skus=[s for s in skus if s not in variants])
    named = {line.location for line in lines if line.location is not None}
    known = location_ids(session=session, codes=named) if named else {}
    for i, line in enumerate(lines):
        if line.sku not in variants:
            errors.append(field_error(f"body.lines.{i}.sku", f"unknown SKU {line.sku!r}"))
        if line.location is not None and line.location not in known:
            errors.append(
                field_error(f"body.lines.{i}.location", f"unknown location {line.location!r}")
            )
    if errors:
        raise ValidationFailed("The reservation is not valid", errors=errors)
    return variants, named | set(channel.ship_from)


def _insert_lines(
    session: Session, reservation_id: str, units_by_stock: dict[int, int], expires_at: datetime
) -> None:
    if not units_by_stock:
        return
    session.execute(
        _INSERT_LINES,
        [
            {
                "reservation_id": reservation_id,
                "stock_id": stock_id,
                "quantity": units,
                "status": "held",
                "expires_at": expires_at,
            }
            for stock_id, units in units_by_stock.items()
        ],
    )


@dataclass(frozen=True, slots=True)
class _Draft:
    reservation_id: str
    variants: dict[str, VariantInfo]
    candidates: list[str]
    expires_at: datetime
    now: datetime
    taken: dict[tuple[str, str], int]


def _replan(
    session: Session,
    draft: _Draft,
    failed: list[tuple[int, str, str, int]],
    fixed: set[tuple[str, str]],
) -> None:
    """Someone took the planned units between our read and our update (PostgreSQL only:
    SQLite writers are serialised). Draw the missing units elsewhere, or fail whole."""
    reservation_id, variants = draft.reservation_id, draft.variants
    candidates, expires_at, now, taken = draft.candidates, draft.expires_at, draft.now, draft.taken
    short = []
    for stock_id, sku, code, units in failed:
        session.execute(
            delete(lines_t).where(
                lines_t.c.reservation_id == reservation_id, lines_t.c.stock_id == stock_id
            )
        )
        need = units
        for _ in range(MAX_REPLANS):
            if (sku, code) in fixed or need == 0:
                break
            fresh = read_stock_at(
                session, now=now, variant_ids=[variants[sku].variant_id], codes=candidates
            )
            available = {(sku, where): s.figures.available for (_, where), s in fresh.items()}
            plan = plan_draws([Demand(sku, need)], available=available, candidates=candidates)
            if not plan.ok:
                break
            for (_, where), part in plan.draws.items():
                sid = fresh[(variants[sku].variant_id, where)].id
                if commit_units(session, stock_id=sid, column="reserved", quantity=part, now=now):
                    _insert_lines(session, reservation_id, {sid: part}, expires_at)
                    taken[(sku, where)] = taken.get((sku, where), 0) + part
                    need -= part
        if need:
            have = read_stock(session, now=now, stock_ids=[stock_id])
            left = sum(s.figures.available for s in have.values())
            short.append({"sku": sku, "location": code, "requested": units, "available": left})
    if short:
        raise OutOfStock(short)
