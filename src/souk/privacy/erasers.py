"""Each commerce domain's part of an erasure, inside the caller's transaction.

Personal data goes; financial records stay, pseudonymous: an order keeps its lines, totals,
taxes, payments and the country and region it was taxed for, and loses the buyer's email,
name, street and session; the customer account stays as a shell (so its orders, points
and gift cards still add up) with an address that can never be signed in with."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from souk.carts.tables import CartRow
from souk.customers.tables import AddressRow, CustomerRow, RegistrationRow
from souk.loyalty.tables import LoyaltyAccountRow
from souk.orders.tables import OrderRow
from souk.privacy.subject import Subject
from souk.promotions.tables import PromotionCustomerUseRow, PromotionRedemptionRow
from souk.returns.tables import StoreCreditRow
from souk.risk.tables import RiskAssessmentRow

# What an order's address keeps: where it was taxed and shipped to, nothing that finds a door.
KEPT_ADDRESS_FIELDS = ("country", "region")


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _pseudonym(value: str) -> str:
    return "erased:" + hashlib.sha256(value.encode()).hexdigest()[:24]


def _kept_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(address, dict):
        return None
    return {k: address[k] for k in KEPT_ADDRESS_FIELDS if address.get(k)}


def erase_commerce(session: Session, subject: Subject) -> dict[str, int]:
    counts: dict[str, int] = {}
    ids = subject.customer_ids
    for customer in session.scalars(select(CustomerRow).where(CustomerRow.id.in_(ids))):
        customer.email = f"erased+{customer.id}@invalid"
        customer.name = customer.phone = customer.loyalty_card = None
        customer.password_hash = None
    counts["customers"] = len(ids)
    counts["addresses"] = _count(
        session.execute(delete(AddressRow).where(AddressRow.customer_id.in_(ids)))
    )
    # A sign-up never confirmed holds the email and a password hash: it goes whole.
    counts["registrations"] = _count(
        session.execute(delete(RegistrationRow).where(RegistrationRow.email.in_(subject.emails)))
    )
    counts["carts"] = 0
    for cart in session.scalars(select(CartRow).where(CartRow.id.in_(subject.cart_ids))):
        cart.email, cart.shipping_address = None, None
        counts["carts"] += 1
    counts["orders"] = 0
    for order in session.scalars(select(OrderRow).where(OrderRow.id.in_(subject.order_ids))):
        order.email = None
        order.shipping_address = _kept_address(order.shipping_address)
        order.checkout_context = None
        counts["orders"] += 1
    counts["store_credits"] = _count(
        session.execute(
            update(StoreCreditRow)
            .where(
                or_(
                    StoreCreditRow.customer_id.in_(ids),
                    func.lower(StoreCreditRow.email).in_(subject.emails),
                )
            )
            .values(email=None)
        )
    )
    for account in session.scalars(
        select(LoyaltyAccountRow).where(LoyaltyAccountRow.customer_id.in_(ids))
    ):
        # The card number is printed on a card the person holds: it names them.
        account.card_number = _pseudonym(account.card_number)
    counts["risk_assessments"] = _count(
        session.execute(
            update(RiskAssessmentRow)
            .where(RiskAssessmentRow.order_id.in_(subject.order_ids))
            .values(ip=None, device=None, card_key=None, email_key=None)
        )
    )
    # A guest's promotion uses are counted by their email; the count stays, the email goes.
    for email in subject.emails:
        for table in (PromotionCustomerUseRow, PromotionRedemptionRow):
            session.execute(
                update(table)
                .where(table.customer_key == f"email:{email}")
                .values(customer_key=_pseudonym(email))
            )
    session.flush()
    return counts
