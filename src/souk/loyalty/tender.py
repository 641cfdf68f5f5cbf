"""Loyalty points as a payment: redeemed in the order's own transaction (a conditional
UPDATE of the member's balance) and recorded as a captured payment of the order worth
`points × point_value` minor units; a refund of that payment gives the points back in
proportion (registered with the payments domain in `souk.wiring`).

The payment's reference is `<customer>:<points>`, so a refund needs nothing but the
payment row: refunding `r` of a payment of `paid` returns `floor(points × refunded / paid)`
cumulatively, so refunding everything returns exactly the points spent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.errors import ValidationFailed, field_error
from souk.loyalty import accounts
from souk.loyalty.models import Program
from souk.loyalty.program import load_program
from souk.loyalty.tables import LoyaltyAccountRow
from souk.payments.service import GiveBack, record_captured

PROVIDER = "loyalty"


def point_value(session: Session, currency: str, field: str) -> tuple[Program, Decimal]:
    """The program, and what one point pays for in `currency` (minor units); 422 if points
    pay for nothing there."""
    program = load_program(session)
    value = program.point_value.get(currency) if program is not None else None
    if program is None or value is None or value <= 0:
        raise ValidationFailed(
            "Points cannot pay in this currency",
            errors=[field_error(field, f"the loyalty program gives points no value in {currency}")],
        )
    return program, value


def worth(points: int, value: Decimal) -> int:
    """What `points` pay for, rounded down: a point never pays more than it is worth."""
    return int((Decimal(points) * value).to_integral_value(rounding=ROUND_FLOOR))


def points_for(amount: int, value: Decimal, field: str) -> int:
    """The points that pay exactly `amount` (a till says the amount); 422 if none do."""
    points = Decimal(amount) / value
    if points != points.to_integral_value():
        raise ValidationFailed(
            "That amount is not a whole number of points",
            errors=[field_error(field, f"{amount} is not a multiple of a point's value {value}")],
        )
    return int(points)


def pay_with_points(
    session: Session, *, program: Program, customer_id: str, points: int, amount: int,
    currency: str, order_id: str, at: datetime | None = None,
) -> None:  # fmt: skip
    """`NotEnoughPoints` (409) if the member's balance no longer covers it: the caller's
    transaction then writes nothing."""
    accounts.redeem(
        session=session, program=program, customer_id=customer_id, points=points,
        reference=order_id, order_id=order_id, now=utcnow(),
    )  # fmt: skip
    record_captured(
        session=session, order_id=order_id, amount=amount, currency=currency,
        method="loyalty_points", provider=PROVIDER, reference=f"{customer_id}:{points}", at=at,
    )  # fmt: skip


def give_back(session: Session, refund: GiveBack) -> None:
    customer_id, _, spent = refund.reference.rpartition(":")
    points, paid = int(spent), refund.paid
    before = points * refund.refunded_before // paid
    after = points * (refund.refunded_before + refund.amount) // paid
    program = load_program(session)
    if after > before and program is not None:
        accounts.restore(
            session=session, program=program, customer_id=customer_id, points=after - before,
            reference=f"{refund.payment_id}:{refund.refunded_before}", order_id=refund.order_id,
            now=utcnow(),
        )  # fmt: skip


def available_points(session: Session, customer_id: str) -> int:
    held = session.scalar(
        select(LoyaltyAccountRow.available).where(LoyaltyAccountRow.customer_id == customer_id)
    )
    return int(held or 0)
