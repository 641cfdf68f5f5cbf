"""Checkout: a cart becomes an order — built to survive a flash drop.

The path is split so that no lock is held while anyone waits:

1. read  — evaluate the cart (prices, listing windows, taxes, shipping); refuse with 422
   what cannot be bought, before anything is written.
2. claim — one short write transaction: claim the cart only if it is unchanged since the
   read (its version) and no other checkout holds it; write a pending payment; reserve every
   line, all or nothing, with conditional updates (409 `out-of-stock`, nothing charged).
   The reservation expires after `CHECKOUT_HOLD_S`, so a process that dies after this step
   leaves no stock held for ever.
3. authorise — the payment provider is called outside any transaction.
4. declined — release the reservation and the claim, then answer 402.
   approved — one write transaction: the order (one per cart, by a unique constraint),
   reservations turned into allocations, the cart converted, `order.placed` in the outbox.
   If that fails (the hold lapsed, a duplicate), the authorisation is voided and the stock
   released before answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.carts.access import check_access, check_writable, load_cart
from souk.carts.evaluation import evaluate
from souk.carts.models import BLOCKING, CHECKOUT_HOLD_S, MESSAGES, CartStatus
from souk.carts.schemas import CheckoutRequest
from souk.carts.sold_out import sold_out
from souk.carts.tables import CartLineRow, CartRow
from souk.catalog.queries import variants_by_sku
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.customers.queries import find_customer
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import (
    Conflict,
    InvalidState,
    OutOfStock,
    PaymentDeclined,
    ValidationFailed,
    field_error,
)
from souk.inventory.availability import atp
from souk.inventory.models import ReserveLine
from souk.inventory.reservations import allocate, release, reserve
from souk.orders.models import OrderLineInput
from souk.orders.queries import get_order
from souk.orders.schemas import OrderRead
from souk.orders.service import attach_allocations, record_order
from souk.payments import service as payments
from souk.payments.providers import ProviderResult, checkout_provider


@dataclass
class Plan:
    cart_id: str
    version: int
    channel: Channel
    customer_id: str | None
    email: str | None
    locale: str
    currency: str
    shipping_address: dict[str, Any] | None
    fulfillment: dict[str, Any]
    lines: list[OrderLineInput]
    shipping: int
    shipping_tax: int
    total: int
    to_reserve: list[ReserveLine]
    kept_holds: list[str]
    stale_holds: list[str]
    reservation_id: str | None = None
    payment_id: str = ""


def checkout(
    *,
    uow: UnitOfWork,
    cart_id: str,
    channel: str,
    customer_id: str | None,
    data: CheckoutRequest,
) -> OrderRead:
    provider = checkout_provider(data.payment.provider, data.payment.token)
    plan = _plan(uow.db, cart_id=cart_id, channel=channel, customer_id=customer_id)
    _claim(uow.db, plan, provider.name)
    result = payments.call_authorize(
        provider=provider.name,
        payment_id=plan.payment_id,
        token=data.payment.token,
        amount=plan.total,
        currency=plan.currency,
    )
    if not result.approved:
        _undo(uow.db, plan, result)
        raise PaymentDeclined(f"The payment was declined: {result.reason or 'no reason given'}")
    try:
        order_id = _complete(uow, plan, result)
    except (InvalidState, IntegrityError) as exc:
        _undo(uow.db, plan, result, void=True)
        raise Conflict(
            "The checkout could not be completed (its hold on the stock lapsed, or the cart "
            "was checked out meanwhile); nothing was charged"
        ) from exc
    except BaseException:
        _undo(uow.db, plan, result, void=True)
        raise
    with UnitOfWork(uow.db, write=False) as read:
        return get_order(session=read.session, order_id=order_id)


def _plan(db: Database, *, cart_id: str, channel: str, customer_id: str | None) -> Plan:
    now = utcnow()
    with UnitOfWork(db, write=False) as read:
        s = read.session
        cart = load_cart(session=s, cart_id=cart_id)
        check_access(cart, customer_id)
        check_writable(cart, now)
        known = sold_out.refusal(db, channel, [(x.sku, x.quantity) for x in _unheld(cart, now)])
        if known:
            raise OutOfStock(known)
        sales = get_channel(session=s, code=channel)
        stock = _refuse_when_short(db, s, cart, sales, now)
        view = evaluate(s, cart, sales, now, stock=stock)
        errors = [field_error(f"cart.{p.code}", p.message) for p in view.problems]
        if not cart.lines:
            errors.append(field_error("cart.lines", "the cart is empty"))
        errors += [
            field_error(f"cart.lines.{i}", f"{v.sku} {MESSAGES[issue]}")
            for i, v in enumerate(view.lines)
            for issue in v.issues
            if issue in BLOCKING
        ]
        if errors:
            raise ValidationFailed("This cart cannot be checked out yet", errors=errors)
        email = cart.email
        if email is None and cart.customer_id is not None:
            customer = find_customer(session=s, customer_id=cart.customer_id)
            email = customer.email if customer else None
        horizon = now + timedelta(seconds=CHECKOUT_HOLD_S)
        kept, stale, to_reserve = _split_holds(cart, horizon)
        return Plan(
            cart_id=cart.id,
            version=cart.version,
            channel=sales,
            customer_id=cart.customer_id,
            email=email,
            locale=cart.locale,
            currency=cart.currency,
            shipping_address=cart.shipping_address,
            fulfillment={"type": cart.fulfillment_type, "location": cart.pickup_location},
            lines=[
                OrderLineInput(
                    v.sku, v.quantity, v.unit_price or 0, v.discount, v.tax, v.tax_rate, v.title
                )
                for v in view.lines
            ],
            shipping=view.totals.shipping,
            shipping_tax=view.shipping_tax,
            total=view.totals.total,
            to_reserve=to_reserve,
            kept_holds=kept,
            stale_holds=stale,
        )


def _unheld(cart: CartRow, now: datetime) -> list[CartLineRow]:
    return [
        line
        for line in cart.lines
        if not (line.reservation_id and line.hold_expires_at and line.hold_expires_at > now)
    ]


def _refuse_when_short(
    db: Database, s: Session, cart: CartRow, sales: Channel, now: datetime
) -> dict[str, int] | None:
    """Out of stock before anything is written: once a drop is sold out, nearly every
    checkout ends here, after a read, without taking a write lock or touching the hot stock
    row. The reservation in the claim step still decides every case this lets through."""
    if cart.fulfillment_type != "delivery" or not cart.lines:
        return None
    stock = atp(session=s, channel=sales, skus=[line.sku for line in cart.lines])
    short = [line for line in _unheld(cart, now) if stock.get(line.sku, 0) < line.quantity]
    if not short:
        return stock
    backorder = variants_by_sku(session=s, skus=[line.sku for line in short])
    refused = [x for x in short if x.sku in backorder and not backorder[x.sku].allow_backorder]
    if refused:
        sold_out.remember(db, sales.code, [(x.sku, stock.get(x.sku, 0)) for x in refused])
        raise OutOfStock(
            [
                {"sku": x.sku, "requested": x.quantity, "available": stock.get(x.sku, 0)}
                for x in refused
            ]
        )
    return stock


def _split_holds(
    cart: CartRow, horizon: datetime
) -> tuple[list[str], list[str], list[ReserveLine]]:
    """Holds that outlive the checkout are used as they are; the others are given up and
    their lines reserved afresh with the rest, in the same transaction."""
    location = cart.pickup_location if cart.fulfillment_type == "pickup" else None
    kept: list[str] = []
    stale: list[str] = []
    to_reserve: list[ReserveLine] = []
    for line in cart.lines:
        if line.reservation_id and line.hold_expires_at and line.hold_expires_at > horizon:
            kept.append(line.reservation_id)
            continue
        if line.reservation_id:
            stale.append(line.reservation_id)
        to_reserve.append(ReserveLine(line.sku, line.quantity, location))
    return kept, stale, to_reserve


def _claim(db: Database, plan: Plan, provider: str) -> None:
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        claimed = s.execute(
            update(CartRow)
            .where(
                CartRow.id == plan.cart_id,
                CartRow.version == plan.version,
                CartRow.status == CartStatus.ACTIVE,
                (CartRow.checkout_until.is_(None)) | (CartRow.checkout_until <= now),
            )
            .values(checkout_until=now + timedelta(seconds=CHECKOUT_HOLD_S))
        )
        if getattr(claimed, "rowcount", 0) != 1:
            _why_not_claimed(s, plan.cart_id, now)
        plan.payment_id = payments.begin(
            session=s,
            provider=provider,
            amount=plan.total,
            currency=plan.currency,
            cart_id=plan.cart_id,
        )
        for reservation_id in plan.stale_holds:
            release(session=s, reservation_id=reservation_id)
        if plan.stale_holds:
            _forget_holds(s, plan.cart_id, plan.stale_holds)
        s.flush()
        # Last, so that the hot stock rows stay locked only until the commit right after:
        # every other statement of this transaction has been sent already.
        if plan.to_reserve:
            try:
                plan.reservation_id = reserve(
                    session=s,
                    channel=plan.channel,
                    lines=plan.to_reserve,
                    expires_at=now + timedelta(seconds=CHECKOUT_HOLD_S),
                    reference=f"checkout:{plan.cart_id}",
                ).id
            except OutOfStock as short:
                found = [(str(x["sku"]), int(x.get("available", 0))) for x in short.lines]
                sold_out.remember(db, plan.channel.code, found)
                raise
        uow.commit()


def _why_not_claimed(s: Session, cart_id: str, now: datetime) -> None:
    cart = load_cart(session=s, cart_id=cart_id)
    check_writable(cart, now)
    raise Conflict("The cart changed during checkout: review it and check out again")


def _forget_holds(s: Session, cart_id: str, reservation_ids: list[str]) -> None:
    s.execute(
        update(CartLineRow)
        .where(CartLineRow.cart_id == cart_id, CartLineRow.reservation_id.in_(reservation_ids))
        .values(reservation_id=None, hold_expires_at=None)
    )


def _complete(uow: UnitOfWork, plan: Plan, result: ProviderResult) -> str:
    with uow:
        s = uow.session
        order = record_order(
            session=s,
            channel=plan.channel,
            lines=plan.lines,
            currency=plan.currency,
            customer_id=plan.customer_id,
            email=plan.email,
            shipping_address=plan.shipping_address,
            fulfillment=plan.fulfillment,
            source="checkout",
            shipping=plan.shipping,
            shipping_tax=plan.shipping_tax,
            cart_id=plan.cart_id,
            locale=plan.locale,
            emit=uow.emit,
        )
        payments.record_authorization(
            session=s, payment_id=plan.payment_id, result=result, order_id=order.id
        )
        s.execute(
            update(CartRow)
            .where(CartRow.id == plan.cart_id)
            .values(
                status=CartStatus.CONVERTED,
                order_id=order.id,
                checkout_until=None,
                version=CartRow.version + 1,
                updated_at=utcnow(),
            )
        )
        _forget_holds(s, plan.cart_id, plan.kept_holds)
        s.flush()
        # The stock rows last (allocation locks them until the commit), as in the claim.
        reservations = [*plan.kept_holds, *([plan.reservation_id] if plan.reservation_id else [])]
        allocations = [
            a
            for reservation_id in reservations
            for a in allocate(session=s, reservation_id=reservation_id, reference=order.id)
        ]
        attach_allocations(session=s, order=order, allocations=allocations)
        uow.commit()
        return order.id


def _undo(db: Database, plan: Plan, result: ProviderResult, *, void: bool = False) -> None:
    """Compensate a checkout that will not become an order: record the provider's answer,
    void an authorisation, give the reserved stock back and free the cart."""
    with UnitOfWork(db) as uow:
        s = uow.session
        payments.record_authorization(session=s, payment_id=plan.payment_id, result=result)
        if void:
            payments.void_payment(session=s, payment_id=plan.payment_id)
        if plan.reservation_id:
            release(session=s, reservation_id=plan.reservation_id)
            sold_out.forget(db, [line.sku for line in plan.to_reserve])
        if void:
            for reservation_id in plan.kept_holds:
                release(session=s, reservation_id=reservation_id)
            _forget_holds(s, plan.cart_id, plan.kept_holds)
        s.execute(
            update(CartRow)
            .where(CartRow.id == plan.cart_id, CartRow.status == CartStatus.ACTIVE)
            .values(checkout_until=None)
        )
        uow.commit()
