"""Finding a cart and deciding who may use it.

An anonymous cart's id is its capability: whoever holds the id may use it, from any
channel. A customer's cart is theirs alone: another customer gets 403, and a caller
without a token 401.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from souk.carts.models import CartStatus
from souk.carts.tables import CartRow
from souk.db.adopt import write
from souk.errors import Forbidden, InvalidState, NotFound, Unauthorized

# Built once: every cart request loads its cart, and building the statement (and its cache
# key) cost more than running it.
_CART = select(CartRow).where(CartRow.id == bindparam("cart_id")).options(joinedload(CartRow.lines))
# Serialises changes to one cart on PostgreSQL; SQLite writers are serial already.
_CART_FOR_UPDATE = _CART.with_for_update(of=CartRow)


def load_cart(*, session: Session, cart_id: str, for_update: bool = False) -> CartRow:
    stmt = _CART_FOR_UPDATE if for_update else _CART
    cart = session.scalars(stmt, {"cart_id": cart_id}).unique().one_or_none()
    if cart is None:
        raise NotFound(f"No cart {cart_id!r}")
    return cart


def check_access(cart: CartRow, customer_id: str | None) -> None:
    if cart.customer_id is None or cart.customer_id == customer_id:
        return
    if customer_id is None:
        raise Unauthorized("This cart belongs to a customer: send their token to use it")
    raise Forbidden("This cart belongs to another customer")


def check_writable(cart: CartRow, now: datetime) -> None:
    if cart.status == CartStatus.CONVERTED:
        raise InvalidState(f"This cart was checked out already (order {cart.order_id})")
    if cart.status == CartStatus.MERGED:
        raise InvalidState(f"This cart was merged into cart {cart.merged_into}")
    if cart.checkout_until is not None and cart.checkout_until > now:
        raise InvalidState("A checkout of this cart is in progress")


def open_cart_for(
    *, session: Session, cart_id: str, customer_id: str | None, now: datetime
) -> CartRow:
    """The cart, locked for a change, after checking the caller may change it."""
    cart = load_cart(session=session, cart_id=cart_id, for_update=True)
    check_access(cart, customer_id)
    check_writable(cart, now)
    return cart


def active_cart_of(*, session: Session, customer_id: str) -> CartRow | None:
    return session.scalar(
        select(CartRow)
        .where(CartRow.customer_id == customer_id, CartRow.status == CartStatus.ACTIVE)
        .options(selectinload(CartRow.lines))
    )


def touch(session: Session, cart: CartRow, channel: str, now: datetime, **changes: object) -> None:
    """Every change: remember the channel, and bump the version a checkout compares, in one
    UPDATE with the command's `changes` to the cart's own columns (`souk.db.adopt.write`:
    no flush to work out what changed)."""
    write(session, cart, channel=channel, version=cart.version + 1, updated_at=now, **changes)
