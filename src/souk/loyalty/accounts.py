"""A member's points inside the caller's transaction: earn, redeem, claw back, adjust,
expire — each a ledger entry plus a change of the account's cached sums.

Every use locks the member's account row first (one row per member: contention is one
person's own tills and devices), matures pending points whose time has come, and debits
with a conditional UPDATE, so a balance never goes negative. Points are spent and expire
oldest first (by expiry, then age) through each earn entry's `remaining`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from souk.errors import Conflict
from souk.loyalty.models import EarnLine, EntryType, Program, Tier, points_for_order
from souk.loyalty.tables import LoyaltyAccountRow, LoyaltyEntryRow

CREDITS = (EntryType.EARN.value, EntryType.ADJUST.value, EntryType.REFUND.value)


class NotEnoughPoints(Conflict):
    problem = "not-enough-points"
    title = "Not enough points"


@dataclass(frozen=True, slots=True)
class OrderLinePoints:
    sku: str
    category: str | None
    quantity: int
    net_amount: int


def new_card_number() -> str:
    return "LC" + "".join(secrets.choice("0123456789") for _ in range(14))


def open_account(
    session: Session, customer_id: str, card_number: str | None, now: datetime
) -> LoyaltyAccountRow:
    """The member's account, locked for this transaction; opened on first use."""
    stmt = select(LoyaltyAccountRow).where(LoyaltyAccountRow.customer_id == customer_id)
    row = session.scalar(stmt.with_for_update())
    if row is None:
        row = LoyaltyAccountRow(
            customer_id=customer_id,
            card_number=card_number or new_card_number(),
            available=0,
            pending=0,
            created_at=now,
        )
        session.add(row)
        session.flush()
    return row


def mature(session: Session, account: LoyaltyAccountRow, now: datetime) -> None:
    due = session.scalars(
        select(LoyaltyEntryRow).where(
            LoyaltyEntryRow.customer_id == account.customer_id,
            LoyaltyEntryRow.matured.is_(False),
            LoyaltyEntryRow.available_at <= now,
        )
    ).all()
    for entry in due:
        entry.matured = True
        account.pending -= entry.remaining
        account.available += entry.remaining


def window_points(
    session: Session, customer_id: str, windows: set[int], now: datetime
) -> dict[int, int]:
    """Points earned (less clawbacks) in each of the last `days` windows: tiers are over a
    rolling window, so a member keeps a tier only while they keep buying. One statement
    however many windows the tiers have (a cart may need the tier on every read)."""
    if not windows:
        return {}
    ordered = sorted(windows)
    entry = LoyaltyEntryRow
    sums = [
        func.coalesce(
            func.sum(case((entry.created_at >= now - timedelta(days=d), entry.points), else_=0)), 0
        )
        for d in ordered
    ]
    row = session.execute(
        select(*sums).where(
            LoyaltyEntryRow.customer_id == customer_id,
            LoyaltyEntryRow.type.in_([EntryType.EARN.value, EntryType.CLAWBACK.value]),
            LoyaltyEntryRow.created_at >= now - timedelta(days=ordered[-1]),
        )
    ).one()
    return {days: int(total or 0) for days, total in zip(ordered, row, strict=True)}


def current_tier(
    session: Session, program: Program, customer_id: str, now: datetime
) -> Tier | None:
    if not program.tiers:
        return None
    windows = {t.window_days for t in program.tiers}
    return program.tier_for(window_points(session, customer_id, windows, now))


def _already(session: Session, kind: EntryType, reference: str) -> LoyaltyEntryRow | None:
    return session.scalar(
        select(LoyaltyEntryRow).where(
            LoyaltyEntryRow.type == kind.value, LoyaltyEntryRow.reference == reference
        )
    )


def _credit(
    session: Session,
    program: Program,
    account: LoyaltyAccountRow,
    *,
    kind: EntryType,
    points: int,
    now: datetime,
    reference: str | None,
    order_id: str | None = None,
    reason: str | None = None,
    pending: bool = False,
    lines: list[dict[str, object]] | None = None,
) -> LoyaltyEntryRow:
    available_at = now + timedelta(days=program.pending_days) if pending else now
    expires = program.points_expire_after_days
    entry = LoyaltyEntryRow(
        customer_id=account.customer_id,
        type=kind.value,
        points=points,
        reference=reference,
        order_id=order_id,
        reason=reason,
        remaining=points,
        matured=available_at <= now,
        available_at=available_at,
        expires_at=available_at + timedelta(days=expires) if expires else None,
        lines=lines,
        created_at=now,
    )
    session.add(entry)
    if entry.matured:
        account.available += points
    else:
        account.pending += points
    return entry


def _spent_entry(
    customer_id: str,
    kind: EntryType,
    points: int,
    now: datetime,
    *,
    reference: str | None,
    order_id: str | None = None,
    reason: str | None = None,
) -> LoyaltyEntryRow:
    """An entry that takes points away (`points` negative): nothing left to spend in it."""
    return LoyaltyEntryRow(
        customer_id=customer_id, type=kind.value, points=points, reference=reference,
        order_id=order_id, reason=reason, remaining=0, matured=True, available_at=now,
        expires_at=None, created_at=now,
    )  # fmt: skip


def earn(
    *,
    session: Session,
    program: Program,
    customer_id: str,
    card_number: str | None,
    order_id: str,
    channel: str,
    currency: str,
    lines: Sequence[OrderLinePoints],
    now: datetime,
) -> int:
    """Points for a placed order, once whatever the retries; pending until the return
    window (`pending_days`) has passed. Returns the points earned now (0 if earned before)."""
    account = open_account(session, customer_id, card_number, now)
    if _already(session, EntryType.EARN, order_id) is not None:
        return 0
    tier = current_tier(session, program, customer_id, now)
    per_line = points_for_order(
        program,
        channel=channel,
        currency=currency,
        tier=tier,
        lines=[EarnLine(x.sku, x.category, x.net_amount) for x in lines],
    )
    total = sum(per_line)
    if total <= 0:
        return 0
    _credit(
        session,
        program,
        account,
        kind=EntryType.EARN,
        points=total,
        now=now,
        reference=order_id,
        order_id=order_id,
        pending=program.pending_days > 0,
        lines=[
            {"sku": x.sku, "quantity": x.quantity, "points": p, "clawed": 0}
            for x, p in zip(lines, per_line, strict=True)
        ],
    )
    return total


def _spend(session: Session, account: LoyaltyAccountRow, points: int) -> None:
    taken = session.execute(
        update(LoyaltyAccountRow)
        .where(
            LoyaltyAccountRow.customer_id == account.customer_id,
            LoyaltyAccountRow.available >= points,
        )
        .values(available=LoyaltyAccountRow.available - points)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise NotEnoughPoints(f"The member has {account.available} points available, not {points}")
    session.refresh(account)
    left = points
    oldest_first = session.scalars(
        select(LoyaltyEntryRow)
        .where(
            LoyaltyEntryRow.customer_id == account.customer_id,
            LoyaltyEntryRow.type.in_(CREDITS),
            LoyaltyEntryRow.matured.is_(True),
            LoyaltyEntryRow.remaining > 0,
        )
        .order_by(
            LoyaltyEntryRow.expires_at.is_(None), LoyaltyEntryRow.expires_at, LoyaltyEntryRow.id
        )
    )
    for entry in oldest_first:
        used = min(left, entry.remaining)
        entry.remaining -= used
        left -= used
        if left == 0:
            break


def redeem(
    *,
    session: Session,
    program: Program,
    customer_id: str,
    points: int,
    reference: str,
    order_id: str | None,
    now: datetime,
) -> LoyaltyEntryRow:
    """Points paid with at a checkout or a till; once per reference (the order)."""
    account = open_account(session, customer_id, None, now)
    done = _already(session, EntryType.REDEEM, reference)
    if done is not None:
        return done
    mature(session, account, now)
    session.flush()
    _spend(session, account, points)
    entry = _spent_entry(
        customer_id, EntryType.REDEEM, -points, now, reference=reference, order_id=order_id
    )
    session.add(entry)
    return entry


def restore(
    *,
    session: Session,
    program: Program,
    customer_id: str,
    points: int,
    reference: str,
    order_id: str | None,
    now: datetime,
) -> None:
    """Points that paid for an order come back (a refund, a cancellation); once per
    reference. They are new points as far as expiry goes: the old ones may have expired."""
    account = open_account(session, customer_id, None, now)
    if points <= 0 or _already(session, EntryType.REFUND, reference) is not None:
        return
    _credit(
        session, program, account, kind=EntryType.REFUND, points=points, now=now,
        reference=reference, order_id=order_id,
    )  # fmt: skip


def adjust(
    *,
    session: Session,
    program: Program,
    customer_id: str,
    points: int,
    reason: str,
    reference: str,
    now: datetime,
) -> None:
    account = open_account(session, customer_id, None, now)
    mature(session, account, now)
    if points > 0:
        _credit(
            session,
            program,
            account,
            kind=EntryType.ADJUST,
            points=points,
            now=now,
            reference=reference,
            reason=reason,
        )
        return
    session.flush()
    _spend(session, account, -points)
    session.add(
        _spent_entry(customer_id, EntryType.ADJUST, points, now, reference=reference, reason=reason)
    )


def clawback(
    *,
    session: Session,
    customer_id: str,
    order_id: str,
    returned: dict[str, int],
    reference: str,
    now: datetime,
) -> int:
    """Take back the points of the returned units of an order, proportionally per line and
    cumulatively over its returns (so returning everything takes back exactly what was
    earned, and buy-then-return nets zero). Points not spent yet come back first from that
    order's own entry; if the member spent them already, what is available is taken and
    the rest is written off — the balance never goes below zero."""
    account = open_account(session, customer_id, None, now)
    if _already(session, EntryType.CLAWBACK, reference) is not None:
        return 0
    earned = _already(session, EntryType.EARN, order_id)
    if earned is None or not earned.lines:
        return 0
    mature(session, account, now)
    lines = [dict(x) for x in earned.lines]
    due = 0
    for line in lines:
        quantity, points, clawed = int(line["quantity"]), int(line["points"]), int(line["clawed"])
        units = min(returned.get(str(line["sku"]), 0), quantity)
        target = -(-points * units // quantity) if quantity else 0
        if target > clawed:
            due += target - clawed
            line["clawed"] = target
    if due == 0:
        return 0
    earned.lines = lines
    own = min(due, earned.remaining)
    earned.remaining -= own
    if earned.matured:
        account.available -= own
    else:
        account.pending -= own
    other = min(due - own, account.available)
    session.flush()
    if other:
        _spend(session, account, other)
    taken = own + other
    note = None if taken == due else f"{due - taken} points were spent already and written off"
    session.add(
        _spent_entry(
            customer_id,
            EntryType.CLAWBACK,
            -taken,
            now,
            reference=reference,
            order_id=order_id,
            reason=note,
        )
    )
    return taken


def expire(*, session: Session, now: datetime) -> int:
    """Points past their expiry leave, oldest first, each with an `expire` entry."""
    rows = session.scalars(
        select(LoyaltyEntryRow)
        .where(
            LoyaltyEntryRow.type.in_(CREDITS),
            LoyaltyEntryRow.matured.is_(True),
            LoyaltyEntryRow.remaining > 0,
            LoyaltyEntryRow.expires_at.is_not(None),
            LoyaltyEntryRow.expires_at <= now,
        )
        .order_by(LoyaltyEntryRow.customer_id, LoyaltyEntryRow.id)
    ).all()
    expired = 0
    for entry in rows:
        account = open_account(session, entry.customer_id, None, now)
        points = min(entry.remaining, account.available)
        entry.remaining = 0
        account.available -= points
        expired += points
        session.add(
            _spent_entry(
                entry.customer_id, EntryType.EXPIRE, -points, now, reference=f"expire:{entry.id}"
            )
        )
    return expired
