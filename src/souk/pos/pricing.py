"""Pricing a till sale: the channel's prices (or the till's, for an offline sale), then the
one promotion engine exactly as a web cart runs it (`souk.carts.discounts.discounts_for`),
then tax on what is left. A coupon the till types that is unknown, expired, used up or not
applicable refuses the sale (422 naming it) rather than charging a price nobody agreed to.

The promotions are those live when the sale is recorded; an offline sale synced later is
priced then, and its payments must match that total (docs/pos.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from souk.carts.discounts import Priced, Shopper, discounts_for
from souk.catalog.queries import VariantInfo, variants_by_sku
from souk.channels.models import Channel
from souk.customers.models import CustomerInfo
from souk.db.base import utcnow
from souk.errors import ValidationFailed, field_error
from souk.inventory.models import Location
from souk.orders.models import OrderLineInput, tax_for
from souk.pos.schemas import PosSale
from souk.pricing.queries import tax_rate
from souk.promotions.redemptions import Use


@dataclass
class PricedSale:
    lines: list[OrderLineInput]
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    gifts: list[str] = field(default_factory=list)  # SKUs handed over free, one each


def price_sale(
    session: Session, *, sale: PosSale, channel: Channel, store: Location,
    variants: dict[str, VariantInfo], prices: dict[str, int], customer: CustomerInfo | None,
    email: str | None,
) -> PricedSale:  # fmt: skip
    currency = channel.default_currency
    units = [x.unit_price if x.unit_price is not None else prices[x.sku] for x in sale.lines]
    priced = [
        Priced(f"line-{i}", x.sku, x.quantity, unit, variants[x.sku].category)
        for i, (x, unit) in enumerate(zip(sale.lines, units, strict=True))
    ]
    shopper = Shopper(customer.id if customer else None, email, list(sale.coupon_codes))
    found = discounts_for(
        session, shopper, channel=channel.code, currency=currency, now=utcnow(), lines=priced,
        shipping=0,
    )  # fmt: skip
    if found.problems:
        raise ValidationFailed(
            "A coupon cannot be used for this sale",
            errors=[field_error("coupon_codes", p.message) for p in found.problems],
        )
    out = PricedSale(lines=[], uses=found.uses)
    summed: dict[tuple[str, str | None], int] = {}
    for x, unit, p in zip(sale.lines, units, priced, strict=True):
        discount = sum(a.amount for a in found.lines.get(p.id, []))
        for a in found.lines.get(p.id, []):
            summed[(a.promotion, a.code)] = summed.get((a.promotion, a.code), 0) + a.amount
        rate = tax_rate(session=session, country=store.country, category=p.category)
        tax = tax_for(unit * x.quantity - discount, rate, inclusive=channel.prices_include_tax)
        out.lines.append(OrderLineInput(x.sku, x.quantity, unit, discount, tax=tax, tax_rate=rate))
    out.adjustments = [
        {"promotion": pid, "code": code, "target": "lines",
         "amount": {"amount": amount, "currency": currency}}
        for (pid, code), amount in summed.items()
    ]  # fmt: skip
    # The web cart's gift line, priced the same: one unit at 0 for each gift that applies.
    known = variants_by_sku(session=session, skus={sku for sku, _ in found.gifts})
    for sku, _ in found.gifts:
        if sku in known:
            rate = tax_rate(session=session, country=store.country, category=known[sku].category)
            out.lines.append(OrderLineInput(sku, 1, 0, 0, tax=0, tax_rate=rate))
            out.gifts.append(sku)
    return out
