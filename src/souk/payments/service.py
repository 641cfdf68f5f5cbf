"""Authorise, capture, void and refund: the money side of an order.

Every function takes the caller's `session` and never commits, so that a capture is recorded
in the same transaction as the shipment that triggers it. Refunds never exceed what was
captured less what was refunded (invariant 3): the payment rows are locked while the
amounts are checked and changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from souk.db.base import new_id, table_of, utcnow
from souk.errors import Conflict, InvalidState, NotFound
from souk.payments.models import PaymentInfo, capturable, status_of
from souk.payments.providers import ProviderResult, get_provider
from souk.payments.recording import record_answer
from souk.payments.tables import PaymentRow, PaymentTransactionRow

_INSERT_PAYMENT = insert(table_of(PaymentRow))  # built once: every checkout begins one


@dataclass(frozen=True, slots=True)
class GiveBack:
    """A refund of stored value (a gift card, points): what the tender's ledger must
    credit, inside the refund's transaction."""

    payment_id: str
    order_id: str
    reference: str
    currency: str
    paid: int
    refunded_before: int
    amount: int


_GIVE_BACK: dict[str, Callable[[Session, GiveBack], None]] = {}


def register_give_back(provider: str, give_back: Callable[[Session, GiveBack], None]) -> None:
    """From wiring: how a stored-value tender's refund reaches its ledger. Refunds go to
    the card or cash first, then to the stored-value tenders in the order registered
    (points, then gift cards), so that a partial refund gives real money back first."""
    _GIVE_BACK[provider] = give_back


def to_info(row: PaymentRow) -> PaymentInfo:
    return PaymentInfo(
        id=row.id,
        order_id=row.order_id,
        provider=row.provider,
        method=row.method,
        status=row.status,
        currency=row.currency,
        amount=row.amount,
        captured=row.captured,
        refunded=row.refunded,
        voided=row.voided,
        decline_reason=row.decline_reason,
    )


def _log(session: Session, row: PaymentRow, kind: str, amount: int, result: ProviderResult) -> None:
    session.add(
        PaymentTransactionRow(
            payment_id=row.id,
            kind=kind,
            amount=amount,
            succeeded=result.approved,
            provider_reference=result.reference,
            message=result.reason,
            created_at=utcnow(),
        )
    )


def begin(
    *,
    session: Session,
    provider: str,
    amount: int,
    currency: str,
    cart_id: str | None = None,
    order_id: str | None = None,
    method: str = "card",
    at: datetime | None = None,
) -> str:
    """A pending payment, written before the provider is called: if the process dies in
    between, the row says an authorisation may exist and for which cart."""
    values = _new_values(provider, amount, currency, cart_id, order_id, method, at)
    # One INSERT of its own, no object: the answer is recorded on it by one UPDATE
    # (`record_answer`), and an object would cost the unit of work's flush.
    session.execute(_INSERT_PAYMENT, values)
    return str(values["id"])


def _new_values(
    provider: str, amount: int, currency: str, cart_id: str | None, order_id: str | None,
    method: str, at: datetime | None,
) -> dict[str, Any]:  # fmt: skip
    get_provider(provider)
    now = at or utcnow()
    return {
        "id": new_id("pay"), "order_id": order_id, "cart_id": cart_id, "provider": provider,
        "method": method, "status": "pending", "currency": currency, "amount": amount,
        "captured": 0, "refunded": 0, "voided": 0, "provider_reference": None,
        "decline_reason": None, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _new_row(
    provider: str, amount: int, currency: str, cart_id: str | None, order_id: str | None,
    method: str, at: datetime | None,
) -> PaymentRow:  # fmt: skip
    return PaymentRow(**_new_values(provider, amount, currency, cart_id, order_id, method, at))


def call_authorize(
    *, provider: str, payment_id: str, token: str, amount: int, currency: str
) -> ProviderResult:
    """The provider's answer, asked outside any database transaction."""
    return get_provider(provider).authorize(
        amount=amount, currency=currency, token=token, reference=payment_id
    )


def record_authorization(
    *, session: Session, payment_id: str, result: ProviderResult, order_id: str | None = None
) -> PaymentInfo:
    if not _held(session, payment_id):
        # Begun in an earlier transaction (checkout): changed in place, not read first.
        recorded = record_answer(session, payment_id=payment_id, result=result, order_id=order_id)
        if recorded is None:
            raise NotFound(f"No payment {payment_id!r}")
        return recorded
    row = _get(session, payment_id)
    _log(session, row, "authorize", row.amount, result)
    if result.approved:
        row.status = "authorized"
        row.provider_reference = result.reference
    else:
        row.status = "declined"
        row.decline_reason = result.reason
    if order_id is not None:
        row.order_id = order_id
    row.updated_at = utcnow()
    return to_info(row)


def authorize(
    *,
    session: Session,
    provider: str,
    token: str,
    amount: int,
    currency: str,
    order_id: str | None = None,
    cart_id: str | None = None,
    method: str = "card",
) -> PaymentInfo:
    """Begin, ask the provider and record the answer, in one go (for callers that hold no
    stock while they wait)."""
    payment_id = begin(
        session=session,
        provider=provider,
        amount=amount,
        currency=currency,
        cart_id=cart_id,
        order_id=order_id,
        method=method,
    )
    session.flush()
    result = call_authorize(
        provider=provider, payment_id=payment_id, token=token, amount=amount, currency=currency
    )
    return record_authorization(session=session, payment_id=payment_id, result=result)


def record_captured(
    *,
    session: Session,
    order_id: str,
    amount: int,
    currency: str,
    method: str,
    provider: str = "in_store",
    reference: str | None = None,
    at: datetime | None = None,
) -> PaymentInfo:
    """Money already taken outside Souk (cash or card at a till, a marketplace payout), or
    stored value debited in the caller's transaction (`at` orders several such tenders)."""
    row = _new_row(provider, amount, currency, None, order_id, method, at)
    row.provider_reference = reference or row.id
    row.captured = amount
    row.status = status_of(amount=amount, captured=amount, refunded=0, voided=0)
    session.add(row)
    session.flush()  # the payment before its log: no ORM relationship orders them
    ok = ProviderResult(True, reference=row.provider_reference)
    _log(session, row, "authorize", amount, ok)
    _log(session, row, "capture", amount, ok)
    return to_info(row)


def _held(session: Session, payment_id: str) -> bool:
    """Whether `session` holds the payment as an object (begun in this transaction)."""
    if session.identity_map.get(identity_key(PaymentRow, payment_id)) is not None:
        return True
    return any(isinstance(x, PaymentRow) and x.id == payment_id for x in session.new)


def _get(session: Session, payment_id: str) -> PaymentRow:
    row = session.get(PaymentRow, payment_id)
    if row is None:
        raise NotFound(f"No payment {payment_id!r}")
    return row


def _locked_for_order(session: Session, order_id: str) -> list[PaymentRow]:
    return list(
        session.scalars(
            select(PaymentRow)
            .where(PaymentRow.order_id == order_id)
            .order_by(PaymentRow.created_at, PaymentRow.id)
            .with_for_update()
        )
    )


def _refresh_status(row: PaymentRow) -> None:
    row.status = status_of(
        amount=row.amount, captured=row.captured, refunded=row.refunded, voided=row.voided
    )
    row.updated_at = utcnow()


def capture(*, session: Session, order_id: str, amount: int) -> int:
    """Capture `amount` from the order's authorisations, oldest first; returns it.

    Conflict if less than `amount` is still authorised."""
    if amount <= 0:
        raise InvalidState("A capture must be of a positive amount")
    rows = _locked_for_order(session, order_id)
    available = sum(capturable(r.status, r.amount, r.captured, r.voided) for r in rows)
    if amount > available:
        raise Conflict(f"Cannot capture {amount}: only {available} is authorised and uncaptured")
    remaining = amount
    for row in rows:
        take = min(remaining, capturable(row.status, row.amount, row.captured, row.voided))
        if take <= 0:
            continue
        result = get_provider(row.provider).capture(
            authorization=row.provider_reference or row.id, amount=take
        )
        _log(session, row, "capture", take, result)
        if not result.approved:
            raise InvalidState(f"The provider refused to capture payment {row.id}")
        row.captured += take
        _refresh_status(row)
        remaining -= take
    return amount


def void(*, session: Session, order_id: str) -> int:
    """Release whatever is authorised and not captured; returns how much was released."""
    released = 0
    for row in _locked_for_order(session, order_id):
        open_amount = capturable(row.status, row.amount, row.captured, row.voided)
        if open_amount <= 0:
            continue
        result = get_provider(row.provider).void(authorization=row.provider_reference or row.id)
        _log(session, row, "void", open_amount, result)
        if not result.approved:
            raise InvalidState(f"The provider refused to void payment {row.id}")
        row.voided += open_amount
        _refresh_status(row)
        released += open_amount
    return released


def void_payment(*, session: Session, payment_id: str) -> int:
    """Void one payment that never became an order's (a checkout that failed after the
    provider said yes)."""
    row = _get(session, payment_id)
    open_amount = capturable(row.status, row.amount, row.captured, row.voided)
    if open_amount <= 0:
        if row.status == "authorized":
            # A zero-amount authorisation (gift cards or points paid the whole cart).
            _refresh_status(row)
        return 0
    result = get_provider(row.provider).void(authorization=row.provider_reference or row.id)
    _log(session, row, "void", open_amount, result)
    row.voided += open_amount
    _refresh_status(row)
    return open_amount


def refund(*, session: Session, order_id: str, amount: int) -> int:
    """Refund `amount` of what was captured, newest card or cash payment first, then the
    stored-value tenders (`register_give_back`); returns it.

    Conflict if that is more than captured minus already refunded."""
    if amount <= 0:
        raise InvalidState("A refund must be of a positive amount")
    rows = _locked_for_order(session, order_id)
    refundable = sum(r.captured - r.refunded for r in rows)
    if amount > refundable:
        raise Conflict(
            f"Cannot refund {amount}: only {refundable} was captured and not yet refunded"
        )
    remaining = amount
    for row in _refund_order(rows):
        give = min(remaining, row.captured - row.refunded)
        if give <= 0:
            continue
        result = _refund_one(session, row, give)
        _log(session, row, "refund", give, result)
        if not result.approved:
            raise InvalidState(f"The provider refused to refund payment {row.id}")
        row.refunded += give
        _refresh_status(row)
        remaining -= give
    return amount


def _refund_order(rows: list[PaymentRow]) -> list[PaymentRow]:
    ranks = {name: i + 1 for i, name in enumerate(_GIVE_BACK)}
    newest_first = list(reversed(rows))
    return sorted(newest_first, key=lambda r: ranks.get(r.provider, 0))


def _refund_one(session: Session, row: PaymentRow, amount: int) -> ProviderResult:
    give_back = _GIVE_BACK.get(row.provider)
    if give_back is None:
        return get_provider(row.provider).refund(
            authorization=row.provider_reference or row.id, amount=amount
        )
    give_back(
        session,
        GiveBack(
            payment_id=row.id, order_id=str(row.order_id), reference=row.provider_reference or "",
            currency=row.currency, paid=row.captured, refunded_before=row.refunded, amount=amount,
        ),
    )  # fmt: skip
    return ProviderResult(True, reference=row.provider_reference)


def payments_for(*, session: Session, order_id: str) -> list[PaymentInfo]:
    rows = session.scalars(
        select(PaymentRow)
        .where(PaymentRow.order_id == order_id)
        .order_by(PaymentRow.created_at, PaymentRow.id)
    )
    return [to_info(r) for r in rows]


def refundable(*, session: Session, order_id: str) -> int:
    return sum(p.refundable for p in payments_for(session=session, order_id=order_id))
