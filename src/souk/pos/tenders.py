"""A till sale's payments: cash and card were taken at the till and are recorded as
captured; a gift card and loyalty points are debited here, in the sale's own transaction,
with the same conditional UPDATEs as a web checkout — so a card spent at a till and online
at once is never spent twice, and a refused debit (409) records nothing of the sale.

Points are redeemed only for a member the till names by `customer.loyalty_card`: the card
in hand is the member's consent, an email or an id is not. An offline sale synced later
with a gift card is debited when it syncs; if the card no longer covers it, that
transaction is refused (409 `gift-card-declined`) and the store settles it (docs/pos.md).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from souk.customers.models import CustomerInfo
from souk.db.base import utcnow
from souk.errors import NotFound, ValidationFailed, field_error
from souk.giftcards.ledger import find_by_code
from souk.giftcards.tender import pay_with_card
from souk.loyalty.tender import pay_with_points, point_value, points_for
from souk.payments.service import record_captured
from souk.pos.models import PaymentMethod
from souk.pos.schemas import PosSale


def take_payments(
    session: Session, *, sale: PosSale, order_id: str, currency: str,
    customer: CustomerInfo | None,
) -> None:  # fmt: skip
    now = utcnow()
    for i, payment in enumerate(sale.payments):
        if payment.amount <= 0:
            continue
        at = now + timedelta(microseconds=i)  # the till's order, which refunds reverse
        where = f"payments.{i}"
        if payment.method is PaymentMethod.GIFT_CARD:
            card = find_by_code(session=session, code=payment.code or "")
            if card is None:
                raise NotFound("No gift card with that code")
            pay_with_card(session, card=card, amount=payment.amount, currency=currency,
                          order_id=order_id, at=at)  # fmt: skip
        elif payment.method is PaymentMethod.LOYALTY_POINTS:
            member = sale.customer.loyalty_card if sale.customer else None
            if customer is None or member is None or customer.loyalty_card != member:
                raise ValidationFailed(
                    "Points are redeemed with the member's loyalty card",
                    errors=[field_error("customer.loyalty_card", "name the member by their card")],
                )
            program, value = point_value(session, currency, where)
            pay_with_points(
                session, program=program, customer_id=customer.id,
                points=points_for(payment.amount, value, f"{where}.amount"),
                amount=payment.amount, currency=currency, order_id=order_id, at=at,
            )  # fmt: skip
        else:
            record_captured(
                session=session, order_id=order_id, amount=payment.amount, currency=currency,
                method=payment.method.value, provider="in_store", reference=payment.reference,
                at=at,
            )  # fmt: skip
