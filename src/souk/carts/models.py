"""Cart rules that need no database: limits, line problems, merging."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from souk.catalog.models import ListingState
from souk.channels.models import Channel
from souk.errors import ValidationFailed, field_error

MAX_LINE_QUANTITY = 99
MAX_LINES = 100
# How long a checkout holds its reservation while the payment is authorised. A checkout
# whose process dies gives its stock back after this, on its own.
CHECKOUT_HOLD_S = 60
# A listing that holds stock at add-to-cart without saying for how long.
DEFAULT_HOLD_MINUTES = 10


class CartStatus(StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    MERGED = "merged"


class Issue(StrEnum):
    """Why a line cannot be bought as it is (a line may have several)."""

    NOT_LISTED = "not-listed"
    NOT_YET_AVAILABLE = "not-yet-available"
    NO_LONGER_AVAILABLE = "no-longer-available"
    NOT_PRICED = "not-priced"
    INSUFFICIENT_STOCK = "insufficient-stock"
    HOLD_EXPIRED = "hold-expired"


# Lines with one of these are left out of the totals and stop a checkout.
BLOCKING = frozenset(
    {Issue.NOT_LISTED, Issue.NOT_YET_AVAILABLE, Issue.NO_LONGER_AVAILABLE, Issue.NOT_PRICED}
)

MESSAGES = {
    Issue.NOT_LISTED: "not sold in this channel",
    Issue.NOT_YET_AVAILABLE: "not on sale yet",
    Issue.NO_LONGER_AVAILABLE: "no longer on sale",
    Issue.NOT_PRICED: "has no price in the cart's currency",
    Issue.INSUFFICIENT_STOCK: "not enough in stock",
    Issue.HOLD_EXPIRED: "the hold on this item has expired",
}


def listing_issue(
    state: ListingState | None, at: datetime, tier: str | None = None
) -> Issue | None:
    """`tier` is the buyer's loyalty tier: in a drop's early window only its members may
    buy; everyone else is told what they are told before any drop opens."""
    if state is None:
        return Issue.NOT_LISTED
    if state.is_open(at, tier):
        return None
    if state.published and state.available_from is not None and at < state.available_from:
        return Issue.NOT_YET_AVAILABLE
    return Issue.NO_LONGER_AVAILABLE


def merged_quantity(customer_quantity: int, anonymous_quantity: int) -> int:
    """A SKU in both carts at sign-in keeps the larger quantity, not the sum: the same
    shopper adding the same item on two devices almost always wants it once."""
    return min(max(customer_quantity, anonymous_quantity), MAX_LINE_QUANTITY)


def check_currency(channel: Channel, currency: str) -> None:
    if not channel.sells_in(currency):
        raise ValidationFailed(
            f"Channel {channel.code!r} does not sell in {currency}",
            errors=[field_error("body.currency", f"not one of {', '.join(channel.currencies)}")],
        )


def check_pickup(channel: Channel, location: str | None) -> None:
    if location is None or location not in channel.pickup_at:
        raise ValidationFailed(
            "Pickup needs one of the channel's pickup stores",
            errors=[
                field_error(
                    "body.fulfillment.location",
                    f"not a pickup store of {channel.code!r} ({', '.join(channel.pickup_at)})",
                )
            ],
        )
