"""Recording one till sale inside the caller's transaction. Never commits.

A carry-out sale already happened: the order is written fulfilled, the units leave the
store's on hand at once even below zero, and where the books disagree with the shelf a
discrepancy asks the store for a count; the sale is never refused for lack of stock. An
endless-aisle sale (delivery, or pickup here later) is an order like any other, routed
as it is recorded. Either way the money was taken at the till and is recorded as captured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from souk.access.models import Principal
from souk.catalog.queries import variants_by_sku
from souk.channels.queries import get_channel
from souk.customers.models import CustomerInfo
from souk.customers.queries import find_customer
from souk.db.base import utcnow
from souk.errors import ValidationFailed, field_error
from souk.fulfilment.models import FoStatus, FoType
from souk.fulfilment.records import FoLineDraft, create_fulfillment_order, raise_discrepancy
from souk.fulfilment.tables import OrderRoutingRow
from souk.inventory.availability import available_at
from souk.inventory.movements import record_movement
from souk.inventory.queries import get_location
from souk.orders.models import compute_totals
from souk.orders.placement import route_now
from souk.orders.service import record_order
from souk.pos.models import discrepancy_kind, payment_errors
from souk.pos.pricing import price_sale
from souk.pos.schemas import PosSale
from souk.pos.tenders import take_payments
from souk.pricing.queries import unit_prices
from souk.promotions.redemptions import customer_key, redeem

Emit = Any


@dataclass(slots=True)
class Recorded:
    order_id: str
    discrepancies: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The fulfilment orders routing made (endless aisle), as the order view shows them.
    fulfillment_orders: list[dict[str, Any]] | None = None


def record_sale(session: Session, *, principal: Principal, sale: PosSale, emit: Emit) -> Recorded:
    channel = get_channel(session=session, code=principal.channel or "")
    store = get_location(session=session, code=principal.location or "")
    currency = channel.default_currency
    skus = {line.sku for line in sale.lines}
    variants = variants_by_sku(session=session, skus=skus)
    prices = unit_prices(session=session, skus=skus, currency=currency, channel=channel.code)
    errors = []
    for i, line in enumerate(sale.lines):
        if line.sku not in variants:
            errors.append(field_error(f"lines.{i}.sku", f"unknown SKU {line.sku!r}"))
        elif line.unit_price is None and line.sku not in prices:
            errors.append(field_error(f"lines.{i}.unit_price", f"{line.sku!r} has no price"))
    if errors:
        raise ValidationFailed("The sale cannot be recorded", errors=errors)
    result = Recorded(order_id="")
    customer = None
    if sale.customer is not None:
        who = sale.customer
        customer = find_customer(
            session=session, email=who.email, customer_id=who.customer_id,
            loyalty_card=who.loyalty_card,
        )  # fmt: skip
        if customer is None and (who.customer_id or who.loyalty_card):
            result.warnings.append("no such customer: the sale is recorded without one")
    email = _typed_email(sale, customer)
    priced = price_sale(
        session, sale=sale, channel=channel, store=store, variants=variants, prices=prices,
        customer=customer, email=email or (customer.email if customer else None),
    )  # fmt: skip
    lines = priced.lines
    total = compute_totals(lines, prices_include_tax=channel.prices_include_tax).total
    errors = payment_errors(
        total=total, amounts=[p.amount for p in sale.payments], currency=currency
    )
    if errors:
        raise ValidationFailed("The payments do not match the sale", errors=errors)
    carry_out = sale.fulfillment is None
    fulfillment: dict[str, Any] = {"type": "in_store", "location": store.code}
    address = None
    if sale.fulfillment is not None:
        fulfillment = {"type": sale.fulfillment.type}
        if sale.fulfillment.type == "pickup":
            fulfillment["location"] = store.code
        address = sale.fulfillment.shipping_address
    order = record_order(
        session=session,
        channel=channel,
        lines=lines,
        currency=currency,
        customer_id=customer.id if customer else None,
        email=email,
        shipping_address=address.model_dump() if address else None,
        fulfillment=fulfillment,
        source="pos",
        external_id=f"{store.code}:{sale.client_txn_id}",
        status="fulfilled" if carry_out else "placed",
        placed_at=sale.occurred_at,
        emit=emit,
        adjustments=priced.adjustments,
    )
    result.order_id = order.id
    # Locks in a web checkout's order (carts/checkout.py `_complete`): the tenders, then the
    # promotion limits, then the stock rows — so a till and a web checkout racing for one
    # member's points, one coupon and one unit wait for each other instead of deadlocking.
    take_payments(session, sale=sale, order_id=order.id, currency=currency, customer=customer)
    if priced.uses:
        # The same limits as online, taken in the sale's transaction: a use the limit no
        # longer allows refuses the sale (409) and records nothing.
        redeem(
            session=session, order_id=order.id, uses=priced.uses, currency=currency,
            customer=customer_key(customer.id if customer else None, email),
        )  # fmt: skip
    if carry_out:
        handed = [(x.sku, x.quantity) for x in sale.lines] + [(g, 1) for g in priced.gifts]
        _hand_over_now(session, order_id=order.id, store=store.code, sale=sale, lines=handed,
                       result=result, channel=channel.code, emit=emit)  # fmt: skip
    else:
        # Routed in the sale's own transaction, so that the answer the till gets (and
        # replays) already says which location ships or prepares it.
        result.fulfillment_orders = route_now(session, order.id, emit)
    return result


def _hand_over_now(
    session: Session, *, order_id: str, store: str, sale: PosSale, lines: list[tuple[str, int]],
    result: Recorded, channel: str, emit: Emit,
) -> None:  # fmt: skip
    """`lines`: what leaves the store, (sku, quantity) — the sale's lines and its gifts."""
    skus = {sku for sku, _ in lines}
    before = available_at(session=session, skus=skus, locations=[store])
    sold: dict[str, int] = {}
    for sku, quantity in lines:
        movement = record_movement(
            session=session, sku=sku, location=store, type="sale", quantity=quantity,
            reason="till sale", reference=order_id, allow_negative=True, emit=emit,
        )  # fmt: skip
        sold[sku] = sold.get(sku, 0) + quantity
        kind = discrepancy_kind(
            available_before=before.get((sku, store), 0),
            quantity=sold[sku],
            on_hand_after=movement.on_hand_after,
        )
        if kind:
            found = raise_discrepancy(
                session, location=store, sku=sku, kind=kind, quantity=quantity,
                reference=order_id, note=f"till sale {sale.client_txn_id}", emit=emit,
            )  # fmt: skip
            result.discrepancies.append(found.id)
    create_fulfillment_order(
        session, order_id=order_id, channel=channel, location=store, fo_type=FoType.PICKUP,
        lines=[FoLineDraft(None, sku, quantity) for sku, quantity in lines],
        emit=emit, status=FoStatus.COLLECTED,
    )  # fmt: skip
    # Handed over at the till: there is nothing for routing to do.
    session.add(
        OrderRoutingRow(order_id=order_id, status="routed", method="pos",
                        solver_status="sold_at_the_till", cost=None, created_at=utcnow())
    )  # fmt: skip


def _typed_email(sale: PosSale, customer: CustomerInfo | None) -> str | None:
    """What a till learns about a customer it names by id or card (docs/security.md): that
    the customer exists, nothing more. An email goes on the order only if the till typed
    it; the link to the customer keeps the sale in their history all the same."""
    typed = sale.customer.email if sale.customer else None
    if typed is None:
        return None
    return customer.email if customer is not None else typed
