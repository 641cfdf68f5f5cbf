"""Gift items: a `gift_item` promotion that applies to a cart adds its SKU as a line of its
own, at 0, for as long as the promotion applies — it is derived on every read, never
stored, so it disappears as soon as the condition no longer holds. At checkout it is
reserved and allocated from stock like any other line; the till prices it the same way.

Statements: none unless a gift applies; then two (the gift's variant and title, its ATP)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from souk.carts.tables import CartRow
from souk.catalog.queries import cart_items
from souk.channels.models import Channel
from souk.inventory.availability import atp


@dataclass(frozen=True, slots=True)
class Gift:
    sku: str
    promotion: str
    title: str | None
    category: str | None
    weight_g: int
    available: int

    @property
    def line_id(self) -> str:
        return f"gift-{self.promotion}"


def gifts_for(
    session: Session, cart: CartRow, channel: Channel, wanted: list[tuple[str, str]]
) -> list[Gift]:
    """The gifts of `wanted` ((sku, promotion) from the engine) that can be given: the SKU
    exists and the channel can promise a unit (or it may be backordered). A gift that cannot
    be given is left out rather than blocking the shopper's checkout."""
    if not wanted:
        return []
    skus = sorted({sku for sku, _ in wanted})
    items = cart_items(
        session=session,
        skus=skus,
        channel=channel.code,
        locale=cart.locale,
        fallback_locale=channel.default_locale,
    )
    stock = atp(session=session, channel=channel, skus=skus)
    given = []
    for sku, promotion in wanted:
        item = items.get(sku)
        if item is None:
            continue
        variant = item.variant
        available = stock.get(sku, 0)
        if available < 1 and not variant.allow_backorder:
            continue
        given.append(
            Gift(sku, promotion, item.title, variant.category, variant.weight_g or 0, available)
        )
    return given
