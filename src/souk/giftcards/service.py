"""Gift-card use cases: issue, read, adjust, look up by code, expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.api.shapes import Money
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.giftcards.ledger import credit, debit_by_id, find_by_code
from souk.giftcards.models import EntryType, Status, digest, new_code, normalize
from souk.giftcards.schemas import (
    GiftCardAdjust,
    GiftCardCreate,
    GiftCardEntry,
    GiftCardIssued,
    GiftCardRead,
)
from souk.giftcards.tables import GiftCardEntryRow, GiftCardRow
from souk.money import check_currency


def open_card(
    *,
    session: Session,
    currency: str,
    amount: int,
    kind: str = "gift_card",
    customer_id: str | None = None,
    expires_at: datetime | None = None,
    order_id: str | None = None,
) -> tuple[GiftCardRow, str]:
    """A new card with its first ledger entry, inside the caller's transaction (an admin
    issue, a refund as store credit); returns the row and the code, shown once."""
    code = new_code()
    now = utcnow()
    row = GiftCardRow(
        id=new_id("gft"),
        code_hash=digest(code),
        last4=normalize(code)[-4:],
        currency=currency,
        balance=amount,
        status=Status.ACTIVE.value,
        kind=kind,
        customer_id=customer_id,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(row)
    session.flush()  # the card before its first entry: no ORM relationship orders them
    session.add(
        GiftCardEntryRow(
            gift_card_id=row.id,
            type=EntryType.ISSUE.value,
            amount=amount,
            order_id=order_id,
            created_at=now,
        )
    )
    return row, code


def issue_card(*, uow: UnitOfWork, data: GiftCardCreate, customer_exists: bool) -> GiftCardIssued:
    check_currency(data.currency, field="body.currency")
    if data.customer is not None and not customer_exists:
        raise ValidationFailed(
            "Unknown customer", errors=[field_error("body.customer", "no such customer")]
        )
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ValidationFailed(
            "The card would be expired already",
            errors=[field_error("body.expires_at", "must be in the future")],
        )
    with uow:
        row, code = open_card(
            session=uow.session,
            currency=data.currency,
            amount=data.amount,
            customer_id=data.customer,
            expires_at=data.expires_at,
        )
        uow.emit("gift_card.issued", {"id": row.id, "amount": data.amount})
        uow.commit()
        return GiftCardIssued(
            id=row.id,
            code=code,
            last4=row.last4,
            balance=Money(amount=data.amount, currency=data.currency),
            expires_at=data.expires_at,
        )


def _read(session: Session, row: GiftCardRow) -> GiftCardRead:
    entries = session.scalars(
        select(GiftCardEntryRow)
        .where(GiftCardEntryRow.gift_card_id == row.id)
        .order_by(GiftCardEntryRow.id)
    ).all()
    status = row.status
    if status == Status.ACTIVE and row.expires_at is not None and row.expires_at <= utcnow():
        status = Status.EXPIRED.value
    return GiftCardRead(
        id=row.id,
        kind=row.kind,
        last4=row.last4,
        currency=row.currency,
        balance=Money(amount=row.balance, currency=row.currency),
        status=status,
        customer=row.customer_id,
        expires_at=row.expires_at,
        ledger=[
            GiftCardEntry(
                type=e.type,
                amount=e.amount,
                order=e.order_id,
                reason=e.reason,
                created_at=e.created_at,
            )
            for e in entries
        ],
    )


def _load(session: Session, gift_card_id: str) -> GiftCardRow:
    row = session.get(GiftCardRow, gift_card_id)
    if row is None:
        raise NotFound(f"No gift card {gift_card_id}")
    return row


def get_card(*, uow: UnitOfWork, gift_card_id: str) -> GiftCardRead:
    with uow:
        return _read(uow.session, _load(uow.session, gift_card_id))


def lookup(*, uow: UnitOfWork, code: str) -> GiftCardRead:
    with uow:
        card = find_by_code(session=uow.session, code=code)
        if card is None:
            raise NotFound("No gift card with that code")
        return _read(uow.session, _load(uow.session, card.id))


def adjust(*, uow: UnitOfWork, gift_card_id: str, data: GiftCardAdjust) -> GiftCardRead:
    if data.amount == 0:
        raise ValidationFailed(
            "An adjustment changes the balance", errors=[field_error("body.amount", "is 0")]
        )
    with uow:
        s = uow.session
        _load(s, gift_card_id)
        if data.amount > 0:
            credit(
                session=s,
                gift_card_id=gift_card_id,
                amount=data.amount,
                entry=EntryType.ADJUST,
                reason=data.reason,
            )
        else:
            debit_by_id(
                session=s,
                gift_card_id=gift_card_id,
                amount=-data.amount,
                entry=EntryType.ADJUST,
                reason=data.reason,
            )
        uow.emit("gift_card.adjusted", {"id": gift_card_id, "amount": data.amount})
        uow.commit()
    with UnitOfWork(uow.db, write=False) as read:
        return _read(read.session, _load(read.session, gift_card_id))


def expire_cards(*, uow: UnitOfWork, now: datetime | None = None) -> int:
    """Cards past their expiry lose what is left, with an `expire` entry, so the ledger
    still explains the balance. Only where the card was issued with an expiry date: many
    jurisdictions forbid expiring gift cards, so none expires by default."""
    now = now or utcnow()
    with uow:
        s = uow.session
        rows = s.scalars(
            select(GiftCardRow)
            .where(
                GiftCardRow.status == Status.ACTIVE,
                GiftCardRow.expires_at.is_not(None),
                GiftCardRow.expires_at <= now,
            )
            .with_for_update()
        ).all()
        for row in rows:
            if row.balance > 0:
                debit_by_id(
                    session=s,
                    gift_card_id=row.id,
                    amount=row.balance,
                    entry=EntryType.EXPIRE,
                    reason="expired",
                )
            row.status = Status.EXPIRED.value
        uow.commit()
        return len(rows)
