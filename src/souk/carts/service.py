"""Cart commands: create, add, change and remove lines.

Each command is one write transaction that makes the change and evaluates the cart it
answers with (`views.show`), then commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from souk.carts import holds
from souk.carts.access import active_cart_of, open_cart_for, touch
from souk.carts.evaluation import buyer_tier, read_facts
from souk.carts.models import (
    MAX_LINE_QUANTITY,
    MAX_LINES,
    MESSAGES,
    CartStatus,
    check_currency,
    check_pickup,
    listing_issue,
)
from souk.carts.schemas import CartCreate, CartRead, LineAdd, LineUpdate
from souk.carts.tables import CartLineRow, CartRow
from souk.carts.views import present, show
from souk.channels.queries import get_channel
from souk.customers.queries import find_customer
from souk.db.adopt import adopt, write
from souk.db.base import new_capability_id, new_id, table_of, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.loyalty.queries import MemberTier

# A new cart's and a new line's rows, written by one INSERT built once and adopted by the
# session (souk.db.adopt): the unit of work's flush cost several times the statement.
_INSERT_CART = insert(table_of(CartRow))
_LINE_COLUMNS = table_of(CartLineRow).columns
_INSERT_LINE = insert(table_of(CartLineRow))


def create_cart(
    *, uow: UnitOfWork, channel: str, customer_id: str | None, data: CartCreate
) -> tuple[CartRead, bool]:
    """A new cart, or — for a signed-in customer who has one — their active cart (False)."""
    now = utcnow()
    with uow:
        s = uow.session
        sales = get_channel(session=s, code=channel)
        currency = data.currency or sales.default_currency
        check_currency(sales, currency)
        pickup = data.fulfillment is not None and data.fulfillment.type == "pickup"
        if data.fulfillment is not None and pickup:
            check_pickup(sales, data.fulfillment.location)
        locale = data.locale
        existing = None
        if customer_id is not None:
            customer = find_customer(session=s, customer_id=customer_id)
            if customer is None:
                raise NotFound("The signed-in customer no longer exists")
            existing = active_cart_of(session=s, customer_id=customer_id)
            locale = locale or customer.locale
        if existing is None:
            values = {
                "id": new_capability_id("cart"),
                "customer_id": customer_id,
                "status": CartStatus.ACTIVE.value,
                "currency": currency,
                "locale": locale or sales.default_locale,
                "channel": sales.code,
                "created_channel": sales.code,
                "email": data.email,
                "shipping_address": (
                    data.shipping_address.model_dump() if data.shipping_address else None
                ),
                "fulfillment_type": "pickup" if pickup else "delivery",
                "pickup_location": data.fulfillment.location if data.fulfillment and pickup
                else None,
                "coupon_codes": None, "gift_cards": None, "loyalty_points": None, "version": 1,
                "checkout_until": None, "order_id": None, "merged_into": None,
                "created_at": now, "updated_at": now,
            }  # fmt: skip
            try:
                s.execute(_INSERT_CART, values)
            except IntegrityError:
                # The same customer created a cart on another device at the same moment.
                s.rollback()
                existing = active_cart_of(session=s, customer_id=customer_id or "")
                if existing is None:
                    raise
            else:
                cart = CartRow(**values, lines=[])  # new: no lines to load
                adopt(s, cart)
                result = show(s, cart, sales)
                uow.commit()
                return result, True
        cart_id = existing.id
    return present(uow.db, cart_id=cart_id, channel=channel, customer_id=customer_id), False


def get_cart(*, uow: UnitOfWork, cart_id: str, channel: str, customer_id: str | None) -> CartRead:
    return present(uow.db, cart_id=cart_id, channel=channel, customer_id=customer_id)


def my_cart(*, uow: UnitOfWork, channel: str, customer_id: str) -> CartRead:
    with uow:
        cart = active_cart_of(session=uow.session, customer_id=customer_id)
        if cart is None:
            raise NotFound("This customer has no active cart")
        cart_id = cart.id
    return present(uow.db, cart_id=cart_id, channel=channel, customer_id=customer_id)


def add_line(
    *, uow: UnitOfWork, cart_id: str, channel: str, customer_id: str | None, data: LineAdd
) -> CartRead:
    """Add `quantity` of a SKU (to its line, if the cart has one). Refused with 422 — and
    nothing written — for an unknown SKU, a product not on sale in this channel right now
    (a drop before it opens), no price in the cart's currency, or too many units."""
    now = utcnow()
    with uow:
        s = uow.session
        sales = get_channel(session=s, code=channel)
        cart = open_cart_for(session=s, cart_id=cart_id, customer_id=customer_id, now=now)
        check_currency(sales, cart.currency)
        # The new SKU and the cart's others in one read, which the answer is evaluated from.
        facts = read_facts(s, cart, sales, [data.sku, *(x.sku for x in cart.lines)])
        item = facts.items.get(data.sku)
        if item is None:
            raise ValidationFailed(
                f"Unknown SKU {data.sku!r}", errors=[field_error("body.sku", "unknown SKU")]
            )
        listing = item.listing
        tier = MemberTier(s, cart.customer_id, now)
        issue = listing_issue(listing, now, buyer_tier(listing, now, tier))
        price = facts.prices
        errors = []
        if issue is not None:
            errors.append(field_error("body.sku", f"{data.sku} is {MESSAGES[issue]}"))
        if data.sku not in price:
            errors.append(field_error("body.sku", f"{data.sku} has no price in {cart.currency}"))
        line = next((x for x in cart.lines if x.sku == data.sku), None)
        quantity = data.quantity + (line.quantity if line else 0)
        if quantity > MAX_LINE_QUANTITY:
            errors.append(
                field_error("body.quantity", f"at most {MAX_LINE_QUANTITY} per line in all")
            )
        if line is None and len(cart.lines) >= MAX_LINES:
            errors.append(field_error("body.sku", f"a cart holds at most {MAX_LINES} lines"))
        if errors:
            raise ValidationFailed("This item cannot be added", errors=errors)
        held: Callable[[CartLineRow], None] | None = None
        if listing is not None and holds.holds_at_cart(listing):
            minutes = holds.hold_minutes(listing)

            def held(x: CartLineRow) -> None:
                holds.hold(s, cart, x, sales, minutes=minutes, now=now)

        if line is None:
            line = _new_line(s, cart, data.sku, quantity, price[data.sku], now, held)
        else:
            write(s, line, quantity=quantity, unit_price=price[data.sku], last_issue=None,
                  updated_at=now)  # fmt: skip
            if held is not None:
                held(line)
        touch(s, cart, sales.code, now)
        result = show(s, cart, sales, facts=facts, tier=tier)
        uow.commit()
        return result


def _new_line(
    s: Session,
    cart: CartRow,
    sku: str,
    quantity: int,
    unit_price: int,
    now: datetime,
    held: Callable[[CartLineRow], None] | None,
) -> CartLineRow:
    """The line written by one INSERT built once (its hold taken first, when its listing
    holds at cart, so that the hold goes into the same INSERT) and adopted by the session at
    the end of the cart's loaded lines (souk.db.adopt): the unit of work's flush cost
    several times the statement."""
    line = CartLineRow(
        id=new_id("line"), cart_id=cart.id, sku=sku, quantity=quantity,
        position=max((x.position for x in cart.lines), default=-1) + 1,
        unit_price=unit_price, last_issue=None, reservation_id=None, hold_expires_at=None,
        added_at=now, updated_at=now,
    )  # fmt: skip
    if held is not None:
        held(line)
    s.execute(_INSERT_LINE, {c.key: getattr(line, c.key) for c in _LINE_COLUMNS})
    adopt(s, line)
    set_committed_value(cart, "lines", [*cart.lines, line])
    return line


def _line(cart: CartRow, line_id: str) -> CartLineRow:
    for line in cart.lines:
        if line.id == line_id:
            return line
    raise NotFound(f"No line {line_id!r} in this cart")


def update_line(
    *,
    uow: UnitOfWork,
    cart_id: str,
    line_id: str,
    channel: str,
    customer_id: str | None,
    data: LineUpdate,
) -> CartRead:
    now = utcnow()
    with uow:
        s = uow.session
        sales = get_channel(session=s, code=channel)
        cart = open_cart_for(session=s, cart_id=cart_id, customer_id=customer_id, now=now)
        line = _line(cart, line_id)
        write(s, line, quantity=data.quantity, updated_at=now)
        facts = read_facts(s, cart, sales, [x.sku for x in cart.lines])
        item = facts.items.get(line.sku)
        listing = item.listing if item else None
        tier = MemberTier(s, cart.customer_id, now)
        opened = listing is not None and listing.is_open(now, buyer_tier(listing, now, tier))
        if listing is not None and holds.holds_at_cart(listing) and opened:
            holds.hold(s, cart, line, sales, minutes=holds.hold_minutes(listing), now=now)
        touch(s, cart, sales.code, now)
        result = show(s, cart, sales, facts=facts, tier=tier)
        uow.commit()
        return result


def remove_line(
    *, uow: UnitOfWork, cart_id: str, line_id: str, channel: str, customer_id: str | None
) -> CartRead:
    now = utcnow()
    with uow:
        s = uow.session
        cart = open_cart_for(session=s, cart_id=cart_id, customer_id=customer_id, now=now)
        line = _line(cart, line_id)
        holds.release_hold(s, line)
        cart.lines.remove(line)
        sales = get_channel(session=s, code=channel)
        touch(s, cart, sales.code, now)
        result = show(s, cart, sales)
        uow.commit()
        return result
