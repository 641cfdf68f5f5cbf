"""Changing a cart's settings: currency, locale, email, address, delivery or pickup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from souk.carts import holds
from souk.carts.access import open_cart_for, touch
from souk.carts.models import check_currency, check_pickup
from souk.carts.schemas import CartRead, CartUpdate
from souk.carts.tables import CartRow
from souk.carts.tenders import choose as choose_tenders
from souk.carts.views import show
from souk.catalog.queries import listing_states, variants_by_sku
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.promotions.codes import normalize


def update_cart(
    *, uow: UnitOfWork, cart_id: str, channel: str, customer_id: str | None, data: CartUpdate
) -> CartRead:
    """Only the fields sent change. A new currency re-prices every line (422 if this
    channel does not sell in it); a new locale changes only how the cart is shown; a new
    pickup store moves the cart's holds there."""
    now = utcnow()
    sent = data.model_fields_set
    with uow:
        s = uow.session
        sales = get_channel(session=s, code=channel)
        cart = open_cart_for(session=s, cart_id=cart_id, customer_id=customer_id, now=now)
        # The cart's own columns, written with the version in one UPDATE (`touch`); what is
        # read below (tenders, holds) sees them set already.
        changes: dict[str, Any] = {}
        if data.currency is not None and data.currency != cart.currency:
            check_currency(sales, data.currency)
            changes["currency"] = data.currency
            for line in cart.lines:
                # The shopper asked for new prices: no "price changed" notices for them.
                line.unit_price = None
        if data.locale is not None:
            changes["locale"] = data.locale
        if "email" in sent:
            changes["email"] = data.email
        if data.coupon_codes is not None:
            # Kept as entered (normalised); each read says whether it applies and why not.
            changes["coupon_codes"] = list(dict.fromkeys(normalize(c) for c in data.coupon_codes))
        if "shipping_address" in sent:
            address = data.shipping_address
            changes["shipping_address"] = address.model_dump() if address else None
        before = (cart.fulfillment_type, cart.pickup_location)
        if data.fulfillment is not None:
            if data.fulfillment.type == "pickup":
                check_pickup(sales, data.fulfillment.location)
                changes["fulfillment_type"] = "pickup"
                changes["pickup_location"] = data.fulfillment.location
            else:
                changes["fulfillment_type"], changes["pickup_location"] = "delivery", None
        touch(s, cart, sales.code, now, **changes)
        if data.gift_cards is not None or data.loyalty_points is not None:
            # After a currency change: a card must be in the cart's currency.
            choose_tenders(s, cart, data.gift_cards, data.loyalty_points)
        if before != (cart.fulfillment_type, cart.pickup_location):
            _move_holds(uow, cart, sales, now)
        result = show(s, cart, sales)
        uow.commit()
        return result


def _move_holds(uow: UnitOfWork, cart: CartRow, sales: Channel, now: datetime) -> None:
    held = [line for line in cart.lines if line.reservation_id is not None]
    if not held:
        return
    s = uow.session
    variants = variants_by_sku(session=s, skus=[line.sku for line in held])
    listings = listing_states(
        session=s, channel=sales.code, product_ids={v.product_id for v in variants.values()}
    )
    for line in held:
        variant = variants.get(line.sku)
        listing = listings.get(variant.product_id) if variant else None
        if listing is not None and holds.holds_at_cart(listing) and listing.is_open(now):
            holds.try_hold(s, cart, line, sales, minutes=holds.hold_minutes(listing), now=now)
        else:
            holds.release_hold(s, line)
