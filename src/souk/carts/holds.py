"""Stock held at add-to-cart, for listings that ask for it (drops): what is in the cart is
really the shopper's for a few minutes. A hold is an inventory reservation with an expiry;
when it lapses the units return to stock by themselves, with nothing to clean up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from souk.carts.models import DEFAULT_HOLD_MINUTES
from souk.carts.tables import CartLineRow, CartRow
from souk.catalog.models import HoldStock, ListingState
from souk.channels.models import Channel
from souk.errors import OutOfStock
from souk.inventory.models import ReserveLine
from souk.inventory.reservations import release, reserve


def holds_at_cart(listing: ListingState | None) -> bool:
    return listing is not None and listing.hold_stock is HoldStock.CART


def hold_minutes(listing: ListingState) -> int:
    return listing.hold_minutes or DEFAULT_HOLD_MINUTES


def release_hold(session: Session, line: CartLineRow) -> None:
    if line.reservation_id is not None:
        release(session=session, reservation_id=line.reservation_id)
    line.reservation_id = None
    line.hold_expires_at = None


def hold(
    session: Session,
    cart: CartRow,
    line: CartLineRow,
    channel: Channel,
    *,
    minutes: int,
    now: datetime,
) -> None:
    """(Re)hold the line's whole quantity; OutOfStock if it cannot be held."""
    release_hold(session, line)
    location = cart.pickup_location if cart.fulfillment_type == "pickup" else None
    info = reserve(
        session=session,
        channel=channel,
        lines=[ReserveLine(line.sku, line.quantity, location)],
        expires_at=now + timedelta(minutes=minutes),
        reference=f"cart:{cart.id}",
    )
    line.reservation_id = info.id
    line.hold_expires_at = info.expires_at


def try_hold(
    session: Session,
    cart: CartRow,
    line: CartLineRow,
    channel: Channel,
    *,
    minutes: int,
    now: datetime,
) -> bool:
    """Like `hold`, but a line that cannot be held simply stays unheld (its read will say
    why) — for changes the shopper did not make to this line (sign-in, new pickup store)."""
    release_hold(session, line)
    try:
        with session.begin_nested():
            hold(session, cart, line, channel, minutes=minutes, now=now)
    except OutOfStock:
        return False
    return True
