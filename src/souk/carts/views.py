"""Showing a cart: evaluate it in a read transaction, remember what was shown."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from souk.api.shapes import Money
from souk.carts.access import check_access, load_cart
from souk.carts.evaluation import CartView, Facts, evaluate
from souk.carts.schemas import (
    CartHoldRead,
    CartLinePickupRead,
    CartLineRead,
    CartRead,
    ChangeRead,
    ProblemRead,
    ShippingRead,
    TenderRead,
)
from souk.carts.tables import CartLineRow, CartRow
from souk.carts.tenders import Tender
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.db.adopt import write
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.loyalty.queries import MemberTier
from souk.orders.schemas import AdjustmentRead, FulfillmentChoice, TotalsRead
from souk.promotions.engine import Adjustment


def cart_read(view: CartView) -> CartRead:
    cart, c = view.cart, view.cart.currency
    # A cart of 10 lines under 20 sitewide promotions carries 200 adjustments, most of them
    # equal: each distinct one is built once per answer.
    shown: dict[tuple[str, int, str | None], AdjustmentRead] = {}

    def money(amount: int) -> Money:
        return Money(amount=amount, currency=c)

    def adjusted(a: Adjustment) -> AdjustmentRead:
        key = (a.promotion, a.amount, a.code)  # a tuple hashes in C, the dataclass in Python
        read = shown.get(key)
        if read is None:
            read = shown[key] = _adjustment(a, "lines", c)
        return read

    t = view.totals
    return CartRead(
        id=cart.id,
        status=cart.status,
        customer=cart.customer_id,
        channel=view.channel.code,
        currency=c,
        locale=cart.locale,
        email=cart.email,
        shipping_address=cart.shipping_address,
        fulfillment=FulfillmentChoice(type=cart.fulfillment_type, location=cart.pickup_location),
        lines=[
            CartLineRead(
                id=v.id,
                sku=v.sku,
                product=v.product_handle,
                title=v.title,
                quantity=v.quantity,
                unit_price=money(v.unit_price) if v.unit_price is not None else None,
                discount=money(v.discount),
                tax=money(v.tax),
                tax_rate=format(v.tax_rate.normalize(), "f"),
                total=money(v.amount),
                available=v.available,
                pickup_available=v.pickup_available,
                pickup=CartLinePickupRead(
                    available_now=v.pickup_available, estimated_ready_at=v.pickup_ready_at
                )
                if v.pickup_available is not None
                else None,
                hold=CartHoldRead(expires_at=v.hold_expires_at) if v.hold_expires_at else None,
                issues=[i.value for i in v.issues],
                adjustments=[adjusted(a) for a in v.adjustments],
                gift_of=v.gift_of,
            )
            for v in view.lines
        ],
        totals=TotalsRead(
            subtotal=money(t.subtotal),
            discount=money(t.discount),
            shipping=money(t.shipping),
            tax=money(t.tax),
            tax_included=money(t.tax_included),
            total=money(t.total),
            adjustments=totals_adjustments(view),
        ),
        shipping=(
            ShippingRead(
                rate=view.shipping.rate_code,
                name=view.shipping.name,
                amount=money(view.shipping.amount),
            )
            if view.shipping
            else None
        ),
        changes=[
            ChangeRead(
                line_id=ch.line_id,
                sku=ch.sku,
                reason=ch.reason,
                message=ch.message,
                previous=money(ch.previous) if ch.previous is not None else None,
                current=money(ch.current) if ch.current is not None else None,
            )
            for ch in view.changes
        ],
        problems=[ProblemRead(code=p.code, message=p.message) for p in view.problems],
        tenders=[_tender(x, c) for x in view.tenders.items],
        amount_due=money(t.total - view.tenders.paid),
        ready_for_checkout=view.ready and cart.status == "active",
        order_id=cart.order_id,
        merged_into=cart.merged_into,
        created_at=cart.created_at,
        updated_at=cart.updated_at,
    )


def _tender(x: Tender, currency: str) -> TenderRead:
    card = x.card
    return TenderRead(
        method=x.method,
        gift_card=card.id if card else None,
        last4=card.last4 if card else None,
        balance=Money(amount=card.balance, currency=currency) if card else None,
        points=x.points if card is None else None,
        amount=Money(amount=x.amount, currency=currency),
    )


def _adjustment(a: Adjustment, target: str, currency: str) -> AdjustmentRead:
    return AdjustmentRead(
        promotion=a.promotion, code=a.code, target=target,
        amount=Money(amount=a.amount, currency=currency),
    )  # fmt: skip


def totals_adjustments(view: CartView) -> list[AdjustmentRead]:
    """Each promotion's share of the cart, lines and shipping apart."""
    summed: dict[tuple[str, str | None, str], int] = {}
    for line in view.lines:
        for a in line.adjustments:
            key = (a.promotion, a.code, "lines")
            summed[key] = summed.get(key, 0) + a.amount
    for a in view.discounts.shipping:
        key = (a.promotion, a.code, "shipping")
        summed[key] = summed.get(key, 0) + a.amount
    return [
        _adjustment(Adjustment(pid, amount, code), target, view.cart.currency)
        for (pid, code, target), amount in summed.items()
    ]  # fmt: skip


def show(
    session: Session,
    cart: CartRow,
    channel: Channel,
    *,
    facts: Facts | None = None,
    tier: MemberTier | None = None,
) -> CartRead:
    """The cart as a command leaves it, evaluated in the command's own transaction (so one
    transaction serves the change and its answer); what it shows is remembered on commit.
    `facts`: what the command already read of the cart's SKUs, not read again; `tier`, the
    shopper's loyalty tier if the command needed it."""
    session.flush()
    view = evaluate(session, cart, channel, utcnow(), facts=facts, tier=tier)
    for line in cart.lines:
        price, issue = view.seen[line.id]
        if (line.unit_price, line.last_issue) != (price, issue):
            write(session, line, unit_price=price, last_issue=issue)
    return cart_read(view)


def present(
    db: Database, *, cart_id: str, channel: str, customer_id: str | None, check: bool = True
) -> CartRead:
    """The cart as `channel` sees it now. If prices or problems changed since it was last
    shown, or another channel touched it, that is remembered (a short write) so that the
    next read reports only what changes after this one."""
    with UnitOfWork(db, write=False) as uow:
        cart = load_cart(session=uow.session, cart_id=cart_id)
        if check:
            check_access(cart, customer_id)
        view = evaluate(uow.session, cart, get_channel(session=uow.session, code=channel), utcnow())
        stale = {
            line.id: view.seen[line.id]
            for line in cart.lines
            if (line.unit_price, line.last_issue) != view.seen[line.id]
        }
        moved = cart.channel != channel and cart.status == "active"
        result = cart_read(view)
    if stale or moved:
        _remember(db, cart_id=cart_id, channel=channel if moved else None, seen=stale)
    return result


def _remember(
    db: Database,
    *,
    cart_id: str,
    channel: str | None,
    seen: dict[str, tuple[int | None, str | None]],
) -> None:
    # Not a change of the cart's content: the version a checkout compares stays the same.
    with UnitOfWork(db) as uow:
        for line_id, (price, issue) in seen.items():
            uow.session.execute(
                update(CartLineRow)
                .where(CartLineRow.id == line_id)
                .values(unit_price=price, last_issue=issue)
            )
        if channel is not None:
            uow.session.execute(
                update(CartRow).where(CartRow.id == cart_id).values(channel=channel)
            )
        uow.commit()
