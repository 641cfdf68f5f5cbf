"""Moving money on and off a gift card inside a caller's transaction (checkout, POS,
refunds): every change is a ledger entry plus one conditional UPDATE of the balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.errors import Conflict, NotFound, ValidationFailed, field_error
from souk.giftcards.models import EntryType, Status, digest
from souk.giftcards.tables import GiftCardEntryRow, GiftCardRow


class GiftCardDeclined(Conflict):
    problem = "gift-card-declined"
    title = "Gift card declined"


@dataclass(frozen=True, slots=True)
class CardInfo:
    id: str
    last4: str
    currency: str
    balance: int
    status: str


_COLUMNS = (
    GiftCardRow.id,
    GiftCardRow.last4,
    GiftCardRow.currency,
    GiftCardRow.balance,
    GiftCardRow.status,
    GiftCardRow.expires_at,
)


def _info(row: Any) -> CardInfo:
    status = row.status
    if status == Status.ACTIVE and row.expires_at is not None and row.expires_at <= utcnow():
        status = Status.EXPIRED.value
    return CardInfo(row.id, row.last4, row.currency, row.balance, status)


def find_by_code(*, session: Session, code: str) -> CardInfo | None:
    row = session.execute(
        select(*_COLUMNS).where(GiftCardRow.code_hash == digest(code))
    ).one_or_none()
    return _info(row) if row is not None else None


def cards_by_id(*, session: Session, ids: list[str]) -> dict[str, CardInfo]:
    """Several cards in one statement (a cart's tenders)."""
    if not ids:
        return {}
    rows = session.execute(select(*_COLUMNS).where(GiftCardRow.id.in_(ids)))
    return {row.id: _info(row) for row in rows}


def debit(
    *,
    session: Session,
    code: str,
    amount: int,
    currency: str,
    order_id: str | None,
    entry: EntryType = EntryType.REDEEM,
) -> CardInfo:
    """Take `amount` off the card: all of it or nothing. The loser of a race for the last
    of a balance gets `GiftCardDeclined` and its transaction writes nothing."""
    card = find_by_code(session=session, code=code)
    if card is None:
        raise NotFound("No gift card with that code")
    return debit_card(
        session=session, card=card, amount=amount, currency=currency, order_id=order_id,
        entry=entry,
    )  # fmt: skip


def debit_card(
    *,
    session: Session,
    card: CardInfo,
    amount: int,
    currency: str,
    order_id: str | None,
    entry: EntryType = EntryType.REDEEM,
) -> CardInfo:
    """`debit` of a card already found (by code, or by the id a cart keeps)."""
    if amount <= 0:
        raise ValidationFailed(
            "A gift-card payment is a positive amount",
            errors=[field_error("body.amount", "must be more than 0")],
        )
    if card.status != Status.ACTIVE:
        raise GiftCardDeclined(f"The gift card is {card.status}")
    if card.currency != currency:
        raise GiftCardDeclined(f"The gift card is in {card.currency}, the payment in {currency}")
    now = utcnow()
    taken = session.execute(
        update(GiftCardRow)
        .where(
            GiftCardRow.id == card.id,
            GiftCardRow.status == Status.ACTIVE,
            GiftCardRow.balance >= amount,
            (GiftCardRow.expires_at.is_(None)) | (GiftCardRow.expires_at > now),
        )
        .values(balance=GiftCardRow.balance - amount)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise GiftCardDeclined("The gift card's balance does not cover the amount")
    session.add(
        GiftCardEntryRow(
            gift_card_id=card.id,
            type=entry.value,
            amount=-amount,
            order_id=order_id,
            created_at=now,
        )
    )
    return CardInfo(card.id, card.last4, card.currency, card.balance - amount, card.status)


def credit(
    *,
    session: Session,
    gift_card_id: str,
    amount: int,
    entry: EntryType,
    order_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Put `amount` back on a card (a refund of what it paid, or an adjustment)."""
    if amount <= 0:
        raise ValidationFailed(
            "A gift-card credit is a positive amount",
            errors=[field_error("body.amount", "must be more than 0")],
        )
    done = session.execute(
        update(GiftCardRow)
        .where(GiftCardRow.id == gift_card_id)
        .values(balance=GiftCardRow.balance + amount)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise NotFound(f"No gift card {gift_card_id}")
    session.add(
        GiftCardEntryRow(
            gift_card_id=gift_card_id,
            type=entry.value,
            amount=amount,
            order_id=order_id,
            reason=reason,
            created_at=utcnow(),
        )
    )


def debit_by_id(
    *, session: Session, gift_card_id: str, amount: int, entry: EntryType, reason: str | None
) -> None:
    """An adjustment or expiry down, never below zero."""
    taken = session.execute(
        update(GiftCardRow)
        .where(GiftCardRow.id == gift_card_id, GiftCardRow.balance >= amount)
        .values(balance=GiftCardRow.balance - amount)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise GiftCardDeclined("The balance does not cover the adjustment")
    session.add(
        GiftCardEntryRow(
            gift_card_id=gift_card_id,
            type=entry.value,
            amount=-amount,
            reason=reason,
            created_at=utcnow(),
        )
    )
