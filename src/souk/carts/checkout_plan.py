"""Checkout's first step: read the cart as it is now and decide what the claim will do —
or refuse it (422 for what cannot be bought, 409 for what is out of stock) before anything
is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from souk.carts.access import check_access, check_writable, load_cart
from souk.carts.evaluation import evaluate
from souk.carts.models import BLOCKING, CHECKOUT_HOLD_S, MESSAGES
from souk.carts.sold_out import sold_out
from souk.carts.tables import CartLineRow, CartRow
from souk.carts.tenders import Tenders
from souk.carts.views import totals_adjustments
from souk.catalog.queries import VariantInfo, variants_by_sku
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.customers.queries import find_customer
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import OutOfStock, ValidationFailed, field_error
from souk.inventory.availability import atp
from souk.inventory.models import ReserveLine
from souk.orders.models import OrderLineInput
from souk.orders.placement import PickupSupply, pickup_supply
from souk.payments.models import PaymentInfo
from souk.promotions.redemptions import Use


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
    # Pickup only: the lines reserved afresh, to source them again if the claim finds the
    # units it planned on taken meanwhile.
    pickup_lines: list[tuple[str, int]] = field(default_factory=list)
    # The lines' variants as the plan's exact read saw them: reserving reads them no more.
    variants: dict[str, VariantInfo] = field(default_factory=dict)
    # When the cart was made: told to the order's reactions (a cart younger than the
    # engagement's idle time cannot have a reminder queued to cancel).
    cart_created_at: datetime | None = None
    reservation_id: str | None = None
    # (sku, location) of the stock rows the claim's reservation drew from: the order's
    # allocations are labelled with them instead of reading the rows again.
    reserved_stock: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    payment_id: str = ""
    # The promotions the totals count on; taken in the order's transaction, all or none.
    uses: list[Use] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    # Gift cards and points, taken in the order's transaction; the payment pays the rest.
    tenders: Tenders = field(default_factory=Tenders)
    # The order's payments as its transaction left them, when checkout knows them all (no
    # tender added one): the answer is built from them instead of reading them back.
    payments: list[PaymentInfo] | None = None

    @property
    def charge(self) -> int:
        return self.total - self.tenders.paid


def plan_checkout(db: Database, *, cart_id: str, channel: str, customer_id: str | None) -> Plan:
    now = utcnow()
    with UnitOfWork(db, write=False) as read:
        s = read.session
        cart = load_cart(session=s, cart_id=cart_id)
        check_access(cart, customer_id)
        check_writable(cart, now)
        if cart.fulfillment_type == "delivery":
            unheld = [(x.sku, x.quantity) for x in _unheld(cart, now)]
            known = sold_out.refusal(db, channel, unheld)
            if known:
                raise OutOfStock(known)
        sales = get_channel(session=s, code=channel)
        supplies = _pickup_supplies(s, cart, sales, now)
        stock = _refuse_when_short(db, s, cart, sales, now) if supplies is None else None
        # Exact: what is ordered is judged on the catalog as it is now, not as a cart saw it.
        view = evaluate(s, cart, sales, now, stock=stock, pickup=supplies, exact=True)
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
        kept, stale, to_reserve = _split_holds(cart, horizon, supplies)
        # A gift line is reserved with the others, where the cart's goods come from.
        where = cart.pickup_location if cart.fulfillment_type == "pickup" else None
        to_reserve += [ReserveLine(v.sku, v.quantity, where) for v in view.lines if v.gift_of]
        return Plan(
            cart_id=cart.id,
            version=cart.version,
            cart_created_at=cart.created_at,
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
            variants=view.variants,
            pickup_lines=[(x.sku, x.quantity) for x in _unkept(cart, horizon)]
            if supplies is not None
            else [],
            kept_holds=kept,
            stale_holds=stale,
            uses=view.discounts.uses,
            adjustments=[a.model_dump(mode="json") for a in totals_adjustments(view)],
            tenders=view.tenders,
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
        sold_out.forget(db, [line.sku for line in cart.lines])
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


def _pickup_supplies(
    s: Session, cart: CartRow, sales: Channel, now: datetime
) -> list[PickupSupply] | None:
    """Click & collect: where each line will come from — the store's units, else a transfer
    from the nearest location of the channel's network that has them (the endless aisle).
    Refuses (409) only the lines that no location of the network can supply."""
    if cart.fulfillment_type != "pickup" or not cart.pickup_location or not cart.lines:
        return None
    supplies = pickup_supply(
        s,
        channel=sales,
        store=cart.pickup_location,
        lines=[(line.sku, line.quantity) for line in cart.lines],
    )
    if supplies is None:
        return None
    held = {line.id for line in cart.lines if line not in _unheld(cart, now)}
    short = [
        (line, x)
        for line, x in zip(cart.lines, supplies, strict=True)
        if line.id not in held and not x.suppliable
    ]
    if short:
        backorder = variants_by_sku(session=s, skus=[line.sku for line, _ in short])
        refused = [
            x
            for line, x in short
            if line.sku in backorder and not backorder[line.sku].allow_backorder
        ]
        if refused:
            raise OutOfStock(
                [
                    {"sku": x.sku, "location": x.store, "requested": x.quantity,
                     "available": x.network}
                    for x in refused
                ]
            )  # fmt: skip
    return supplies


def _unkept(cart: CartRow, horizon: datetime) -> list[CartLineRow]:
    return [
        line
        for line in cart.lines
        if not (line.reservation_id and line.hold_expires_at and line.hold_expires_at > horizon)
    ]


def _split_holds(
    cart: CartRow, horizon: datetime, supplies: list[PickupSupply] | None
) -> tuple[list[str], list[str], list[ReserveLine]]:
    """Holds that outlive the checkout are used as they are; the others are given up and
    their lines reserved afresh with the rest, in the same transaction."""
    location = cart.pickup_location if cart.fulfillment_type == "pickup" else None
    unkept = _unkept(cart, horizon)
    kept = [str(x.reservation_id) for x in cart.lines if x not in unkept]
    stale = [x.reservation_id for x in unkept if x.reservation_id]
    if supplies is None or location is None:
        return kept, stale, [ReserveLine(x.sku, x.quantity, location) for x in unkept]
    chosen = [supplies[i] for i, x in enumerate(cart.lines) if x in unkept]
    return kept, stale, pickup_reserve_lines(location, chosen)


def pickup_reserve_lines(store: str, supplies: list[PickupSupply]) -> list[ReserveLine]:
    """A pickup line is reserved where its units will come from: the store, and the transfer
    sources for what the store lacks (conditional updates there, so that no two buyers get
    the same unit). A line nobody can supply (a backorder) is reserved at the store."""
    lines: list[ReserveLine] = []
    for x in supplies:
        if x.available_now or not x.suppliable:
            lines.append(ReserveLine(x.sku, x.quantity, store))
            continue
        if x.at_store:
            lines.append(ReserveLine(x.sku, x.at_store, store))
        lines += [ReserveLine(x.sku, units, source) for source, units in x.sources]
    return lines


def resource_pickup(s: Session, plan: Plan) -> list[ReserveLine]:
    """The claim found units it planned on taken by another buyer: where the pickup's lines
    come from now, read again inside the claim's transaction; OutOfStock for the lines no
    location of the network can supply any more."""
    store = str(plan.fulfillment["location"])
    supplies = pickup_supply(s, channel=plan.channel, store=store, lines=plan.pickup_lines)
    if supplies is None:
        return plan.to_reserve
    short = [
        {"sku": x.sku, "location": store, "requested": x.quantity, "available": x.network}
        for x in supplies
        if not x.suppliable
    ]
    if short:
        raise OutOfStock(short)
    return pickup_reserve_lines(store, supplies)
