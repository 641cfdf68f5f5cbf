"""Loyalty use cases: a member's view, admin adjustments, earning and clawing back on the
order events, expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.customers.queries import find_customer
from souk.db.base import new_id, utcnow
from souk.db.outbox import Event
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.loyalty import accounts
from souk.loyalty.models import Program
from souk.loyalty.program import load_program
from souk.loyalty.schemas import AdjustmentBody, LoyaltyEntry, LoyaltyRead, NextTier
from souk.loyalty.tables import LoyaltyAccountRow, LoyaltyEntryRow
from souk.orders.placed import placed_order
from souk.orders.queries import load_order
from souk.returns.reads import returned_per_sku

HISTORY = 100


def _program(session: Session) -> Program:
    program = load_program(session)
    if program is None:
        raise NotFound("No loyalty program is set up: PUT /v1/loyalty/program")
    return program


def member_view(
    *, session: Session, program: Program, customer_id: str, now: datetime
) -> LoyaltyRead:
    """What a member sees on every channel; read-only (pending points whose time has come
    are shown as available before any write matures them)."""
    account = session.get(LoyaltyAccountRow, customer_id)
    if account is None:
        card = find_customer(session=session, customer_id=customer_id)
        if card is None:
            raise NotFound(f"No customer {customer_id}")
        available, pending, number = 0, 0, card.loyalty_card or ""
    else:
        ripe = int(
            session.scalar(
                select(func.coalesce(func.sum(LoyaltyEntryRow.remaining), 0)).where(
                    LoyaltyEntryRow.customer_id == customer_id,
                    LoyaltyEntryRow.matured.is_(False),
                    LoyaltyEntryRow.available_at <= now,
                )
            )
            or 0
        )
        available, pending = account.available + ripe, account.pending - ripe
        number = account.card_number
    windows = {t.window_days for t in program.tiers}
    earned = accounts.window_points(session, customer_id, windows, now)
    tier = program.tier_for(earned)
    following = program.next_tier(tier)
    history = session.scalars(
        select(LoyaltyEntryRow)
        .where(LoyaltyEntryRow.customer_id == customer_id)
        .order_by(LoyaltyEntryRow.id.desc())
        .limit(HISTORY)
    ).all()
    return LoyaltyRead(
        customer=customer_id,
        card_number=number,
        balance=available,
        pending=pending,
        tier=tier.code if tier else None,
        benefits=dict(tier.benefits) if tier else {},
        next_tier=NextTier(
            code=following.code,
            points_needed=max(0, following.threshold_points - earned.get(following.window_days, 0)),
        )
        if following
        else None,
        history=[
            LoyaltyEntry(
                type=e.type,
                points=e.points,
                order=e.order_id,
                reason=e.reason,
                available_at=e.available_at,
                created_at=e.created_at,
            )
            for e in history
        ],
    )


def get_member(*, uow: UnitOfWork, customer_id: str) -> LoyaltyRead:
    with uow:
        program = _program(uow.session)
        return member_view(
            session=uow.session, program=program, customer_id=customer_id, now=utcnow()
        )


def adjust_points(*, uow: UnitOfWork, data: AdjustmentBody) -> LoyaltyRead:
    if data.points == 0:
        raise ValidationFailed(
            "An adjustment changes the balance", errors=[field_error("body.points", "is 0")]
        )
    now = utcnow()
    with uow:
        s = uow.session
        program = _program(s)
        customer = find_customer(session=s, customer_id=data.customer)
        if customer is None:
            raise ValidationFailed(
                "Unknown customer", errors=[field_error("body.customer", "no such customer")]
            )
        accounts.open_account(s, data.customer, customer.loyalty_card, now)
        accounts.adjust(
            session=s,
            program=program,
            customer_id=data.customer,
            points=data.points,
            reason=data.reason,
            reference=new_id("ladj"),
            now=now,
        )
        uow.emit("loyalty.points_adjusted", {"customer": data.customer, "points": data.points})
        s.flush()
        view = member_view(session=s, program=program, customer_id=data.customer, now=now)
        uow.commit()
    return view


def earn_for_order(*, uow: UnitOfWork, order_id: str, event: Event | None = None) -> int:
    """The `order.placed` reaction: points for the order's lines (shipping never earns),
    once per order whatever the redeliveries. `event`: the `order.placed` being handled,
    whose reactions share one read of the order."""
    now = utcnow()
    # Without a program nothing is earned: asked of the process's copy first, so a shop
    # without one spends no transaction (on SQLite, no write lock) per placed order.
    with uow.db.sessions() as look:
        if load_program(look) is None:
            return 0
    with uow:
        s = uow.session
        program = load_program(s)
        if program is None:
            return 0
        order = placed_order(event, s, order_id)
        if order.customer_id is None:
            return 0
        customer = find_customer(session=s, customer_id=order.customer_id)
        if customer is None:
            return 0
        variants = variants_by_sku(session=s, skus=[x.sku for x in order.lines])
        lines = [
            accounts.OrderLinePoints(
                sku=x.sku,
                category=variants[x.sku].category if x.sku in variants else None,
                quantity=x.quantity,
                net_amount=x.unit_price * x.quantity - x.discount,
            )
            for x in order.lines
        ]
        points = accounts.earn(
            session=s,
            program=program,
            customer_id=customer.id,
            card_number=customer.loyalty_card,
            order_id=order.id,
            channel=order.channel,
            currency=order.currency,
            lines=lines,
            now=now,
        )
        if points:
            uow.emit(
                "loyalty.points_earned",
                {"customer": customer.id, "order_id": order.id, "points": points},
            )
        uow.commit()
        return points


def claw_back_for_return(*, uow: UnitOfWork, return_id: str, order_id: str) -> int:
    """The `return.received` reaction: the returned units' points go back."""
    return _claw_back(uow, order_id, reference=return_id, whole_order=False)


def claw_back_for_cancellation(*, uow: UnitOfWork, order_id: str) -> int:
    """A cancelled order earns nothing: everything it earned goes back."""
    return _claw_back(uow, order_id, reference=f"cancel:{order_id}", whole_order=True)


def _claw_back(uow: UnitOfWork, order_id: str, *, reference: str, whole_order: bool) -> int:
    now = utcnow()
    with uow:
        s = uow.session
        order = load_order(session=s, order_id=order_id)
        if order.customer_id is None or s.get(LoyaltyAccountRow, order.customer_id) is None:
            return 0
        returned = (
            {x.sku: x.quantity for x in order.lines}
            if whole_order
            else returned_per_sku(s, order_id)
        )
        points = accounts.clawback(
            session=s, customer_id=order.customer_id, order_id=order_id, returned=returned,
            reference=reference, now=now,
        )  # fmt: skip
        if points:
            uow.emit(
                "loyalty.points_clawed_back",
                {"customer": order.customer_id, "order_id": order_id, "points": points},
            )
        uow.commit()
        return points


def expire_points(*, uow: UnitOfWork, now: datetime | None = None) -> int:
    with uow:
        expired = accounts.expire(session=uow.session, now=now or utcnow())
        uow.commit()
        return expired
