"""The variables a template is rendered with (API.md: `profile`, `cart`, `order`,
`coupon`, `unsubscribe_url`), read from the domains that own them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from souk.carts.access import load_cart
from souk.carts.evaluation import evaluate
from souk.carts.schemas import CartRead
from souk.carts.views import cart_read
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.errors import SoukError
from souk.orders.queries import get_order


def cart_snapshot(session: Session, cart_id: str) -> CartRead | None:
    """The cart as its own channel prices it now. Not through `carts.views.present`, which
    remembers what the shopper was shown: a reminder must not swallow the shopper's own
    "the price changed" notice."""
    try:
        cart = load_cart(session=session, cart_id=cart_id)
        channel = get_channel(session=session, code=cart.channel)
        return cart_read(evaluate(session, cart, channel, utcnow()))
    except SoukError:
        return None


def cart_variables(cart: CartRead) -> dict[str, Any]:
    return {
        "id": cart.id,
        "currency": cart.currency,
        "locale": cart.locale,
        "lines": [
            {
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price.model_dump(mode="json") if line.unit_price else None,
            }
            for line in cart.lines
        ],
        "totals": cart.totals.model_dump(mode="json"),
    }


def order_variables(session: Session, order_id: str) -> dict[str, Any] | None:
    try:
        order = get_order(session=session, order_id=order_id)
    except SoukError:
        return None
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "channel": order.channel,
        "currency": order.currency,
        "totals": order.totals.model_dump(mode="json"),
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
    }
