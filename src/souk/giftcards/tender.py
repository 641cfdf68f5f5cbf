"""A gift card (or store credit) as a payment: debited in the order's own transaction with
a conditional UPDATE and recorded as a captured payment of the order; a refund of that
payment credits the card back (registered with the payments domain in `souk.wiring`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from souk.giftcards.ledger import CardInfo, credit, debit_card
from souk.giftcards.models import EntryType
from souk.payments.service import GiveBack, record_captured

PROVIDER = "gift_card"


def pay_with_card(
    session: Session, *, card: CardInfo, amount: int, currency: str, order_id: str,
    at: datetime | None = None,
) -> None:  # fmt: skip
    """All of `amount` or `GiftCardDeclined` (409): the caller's transaction then writes
    nothing, so a loser of a race for the last of a balance is charged nothing."""
    debit_card(session=session, card=card, amount=amount, currency=currency, order_id=order_id)
    record_captured(
        session=session, order_id=order_id, amount=amount, currency=currency,
        method="gift_card", provider=PROVIDER, reference=card.id, at=at,
    )  # fmt: skip


def give_back(session: Session, refund: GiveBack) -> None:
    credit(
        session=session, gift_card_id=refund.reference, amount=refund.amount,
        entry=EntryType.REFUND, order_id=refund.order_id,
    )  # fmt: skip
