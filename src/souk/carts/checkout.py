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
5. route — one more short transaction routes the order into fulfilment orders (see
   `souk.orders.placement`) and the answer is read in it, so the 201 shows them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.carts.access import check_writable, load_cart
from souk.carts.checkout_plan import Plan, plan_checkout, resource_pickup
from souk.carts.models import CHECKOUT_HOLD_S, CartStatus
from souk.carts.schemas import CheckoutRequest
from souk.carts.sold_out import sold_out
from souk.carts.tables import CartLineRow, CartRow
from souk.carts.tenders import take as take_tenders
from souk.db.base import table_of, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import (
    Conflict,
    InvalidState,
    OutOfStock,
    PaymentDeclined,
)
from souk.inventory.models import ReservationInfo
from souk.inventory.reservations import allocate, release, reserve
from souk.orders.placement import route_now
from souk.orders.queries import get_order, order_read
from souk.orders.schemas import OrderRead
from souk.orders.service import attach_allocations, record_order
from souk.orders.tables import OrderRow
from souk.payments import service as payments
from souk.payments.providers import ProviderResult, checkout_provider
from souk.promotions.live import limited_use_taken
from souk.promotions.redemptions import customer_key, redeem

log = logging.getLogger(__name__)

# The checkout's writes to the cart, built once as Core statements on the tables: no ORM
# object of the cart is loaded in these transactions to keep in step, and building a
# statement per checkout cost more than running it.
_carts, _lines = table_of(CartRow), table_of(CartLineRow)
_CLAIM = (
    update(_carts)
    .where(
        _carts.c.id == bindparam("cart"),
        _carts.c.version == bindparam("seen_version"),
        _carts.c.status == CartStatus.ACTIVE.value,
        or_(_carts.c.checkout_until.is_(None), _carts.c.checkout_until <= bindparam("now")),
    )
    .values(checkout_until=bindparam("until"))
)
_CONVERT = (
    update(_carts)
    .where(_carts.c.id == bindparam("cart"))
    .values(
        status=CartStatus.CONVERTED.value,
        order_id=bindparam("order"),
        checkout_until=None,
        version=_carts.c.version + 1,
        updated_at=bindparam("now"),
    )
)
_FREE = (
    update(_carts)
    .where(_carts.c.id == bindparam("cart"), _carts.c.status == CartStatus.ACTIVE.value)
    .values(checkout_until=None)
)
_FORGET_HOLDS = (
    update(_lines)
    .where(
        _lines.c.cart_id == bindparam("cart"),
        _lines.c.reservation_id.in_(bindparam("holds", expanding=True)),
    )
    .values(reservation_id=None, hold_expires_at=None)
)


def checkout(
    *,
    uow: UnitOfWork,
    cart_id: str,
    channel: str,
    customer_id: str | None,
    data: CheckoutRequest,
    context: dict[str, Any] | None = None,
) -> OrderRead:
    provider = checkout_provider(data.payment.provider, data.payment.token)
    plan = plan_checkout(uow.db, cart_id=cart_id, channel=channel, customer_id=customer_id)
    _claim(uow.db, plan, provider.name)
    result = payments.call_authorize(
        provider=provider.name,
        payment_id=plan.payment_id,
        token=data.payment.token,
        amount=plan.charge,
        currency=plan.currency,
    )
    if not result.approved:
        _undo(uow.db, plan, result)
        raise PaymentDeclined(f"The payment was declined: {result.reason or 'no reason given'}")
    try:
        # The order's own transaction does not wake the dispatcher: routing, right after it,
        # does (with its events), and by then `order.placed` finds the order routed.
        order = _complete(UnitOfWork(uow.db), plan, result, context)
    except (InvalidState, IntegrityError) as exc:
        _undo(uow.db, plan, result, void=True)
        raise Conflict(
            "The checkout could not be completed (its hold on the stock lapsed, or the cart "
            "was checked out meanwhile); nothing was charged"
        ) from exc
    except BaseException:
        _undo(uow.db, plan, result, void=True)
        raise
    return _route_and_answer(uow, order, plan)


def _route_and_answer(uow: UnitOfWork, order: OrderRow, plan: Plan) -> OrderRead:
    """Route the order now, in a transaction of its own right after the order's, and answer
    from it: the 201 and any read after it show the fulfilment orders. Not in the order's
    transaction, because that one holds the hot stock rows' locks until it commits, and
    routing there would make every buyer of a drop wait for it. If routing fails the order
    stands: the `order.placed` handler routes it moments later (the safety net)."""
    order_id = order.id
    try:
        with uow:
            # The order row (lines, allocations) and the channel as checkout holds them: routing
            # reads neither again.
            made = route_now(uow.session, order_id, uow.emit, order=order, channel=plan.channel)
            # Answered from the row checkout wrote (routing does not change it) and the
            # fulfilment orders routing made and the payments the order's transaction wrote.
            answer = order_read(uow.session, order, fulfillment_orders=made, payments=plan.payments)
            uow.commit()
            return answer
    except Exception:
        # Whatever went wrong, the order is committed and paid for: the buyer gets it.
        log.exception("routing order %s at placement failed; the dispatcher will", order_id)
    with UnitOfWork(uow.db, write=False) as read:
        return get_order(session=read.session, order_id=order_id)


def _claim(db: Database, plan: Plan, provider: str) -> None:
    now = utcnow()
    with UnitOfWork(db) as uow:
        s = uow.session
        until = now + timedelta(seconds=CHECKOUT_HOLD_S)
        claimed = s.execute(
            _CLAIM, {"cart": plan.cart_id, "seen_version": plan.version, "now": now, "until": until}
        )
        if getattr(claimed, "rowcount", 0) != 1:
            _why_not_claimed(s, plan.cart_id, now)
        plan.payment_id = payments.begin(
            session=s,
            provider=provider,
            amount=plan.charge,
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
                reserved = _reserve(s, plan, now)
                plan.reservation_id, plan.reserved_stock = reserved.id, reserved.stock
            except OutOfStock as short:
                if plan.fulfillment["type"] == "delivery":
                    # What a pickup lacks says nothing of what the channel can deliver.
                    found = [(str(x["sku"]), int(x.get("available", 0))) for x in short.lines]
                    sold_out.remember(db, plan.channel.code, found)
                raise
        uow.commit()


def _reserve(s: Session, plan: Plan, now: datetime) -> ReservationInfo:
    expires_at = now + timedelta(seconds=CHECKOUT_HOLD_S)
    reference = f"checkout:{plan.cart_id}"
    if not plan.pickup_lines:
        return reserve(
            session=s, channel=plan.channel, lines=plan.to_reserve, expires_at=expires_at,
            reference=reference, variants=plan.variants,
        )  # fmt: skip
    try:
        with s.begin_nested():
            return reserve(
                session=s, channel=plan.channel, lines=plan.to_reserve, expires_at=expires_at,
                reference=reference, variants=plan.variants,
            )  # fmt: skip
    except OutOfStock:
        # A pickup planned on units another buyer took meanwhile (the store's last one, or
        # a warehouse's): source it again from what is left, rather than refuse what the
        # network still has.
        plan.to_reserve = resource_pickup(s, plan)
        return reserve(
            session=s, channel=plan.channel, lines=plan.to_reserve, expires_at=expires_at,
            reference=reference, variants=plan.variants,
        )  # fmt: skip


def _why_not_claimed(s: Session, cart_id: str, now: datetime) -> None:
    cart = load_cart(session=s, cart_id=cart_id)
    check_writable(cart, now)
    raise Conflict("The cart changed during checkout: review it and check out again")


def _forget_holds(s: Session, cart_id: str, reservation_ids: list[str]) -> None:
    if not reservation_ids:
        return
    s.execute(_FORGET_HOLDS, {"cart": cart_id, "holds": reservation_ids})


def _complete(
    uow: UnitOfWork, plan: Plan, result: ProviderResult, context: dict[str, Any] | None = None
) -> OrderRow:
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
            adjustments=plan.adjustments,
            checkout_context=_context(plan, context),
        )
        paid = payments.record_authorization(
            session=s, payment_id=plan.payment_id, result=result, order_id=order.id
        )
        if not any(t.amount > 0 for t in plan.tenders.items):
            plan.payments = [paid]
        take_tenders(s, tenders=plan.tenders, order_id=order.id, customer_id=plan.customer_id,
                     currency=plan.currency)  # fmt: skip
        # A limit another checkout used up meanwhile refuses this order (409) and the
        # authorisation is voided: the shopper is never charged the discounted price
        # without the discount being theirs, nor the full price without being asked.
        limited = redeem(
            session=s, order_id=order.id, uses=plan.uses, currency=plan.currency,
            customer=customer_key(plan.customer_id, plan.email),
        )  # fmt: skip
        s.execute(_CONVERT, {"cart": plan.cart_id, "order": order.id, "now": utcnow()})
        _forget_holds(s, plan.cart_id, plan.kept_holds)
        s.flush()
        # The stock rows last (allocation locks them until the commit), as in the claim.
        reservations = [*plan.kept_holds, *([plan.reservation_id] if plan.reservation_id else [])]
        allocations = [
            a
            for reservation_id in reservations
            for a in allocate(
                session=s,
                reservation_id=reservation_id,
                reference=order.id,
                stock=plan.reserved_stock,
            )
        ]
        attach_allocations(session=s, order=order, allocations=allocations)
        uow.commit()
        if limited:
            limited_use_taken(uow.db)  # this process shows a limit reached at once
        # Kept, with its lines and allocations loaded, past the commit (the sessions do not
        # expire on commit): routing uses it as it is.
        return order


def _context(plan: Plan, context: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the checkout knew of the buyer's session, kept on the order for its reactions:
    the storefront's facts for fraud screening, and when the cart was made."""
    made = plan.cart_created_at
    return {**(context or {}), **({"cart_created_at": made.isoformat()} if made else {})} or None


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
        s.execute(_FREE, {"cart": plan.cart_id})
        uow.commit()
