"""Recording a provider's answer on a payment begun in an earlier transaction (checkout
begins it before calling the provider, and records the answer in the order's transaction):
one UPDATE … RETURNING and the log entry, built once, where loading the row first took a
statement more and the unit of work's flush the rest."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.orm import Session

from souk.db.base import table_of, utcnow
from souk.payments.models import PaymentInfo
from souk.payments.providers import ProviderResult
from souk.payments.tables import PaymentRow, PaymentTransactionRow

_payments, _log = table_of(PaymentRow), table_of(PaymentTransactionRow)
# The columns of a PaymentInfo, in its fields' order.
_INFO = [_payments.c[f.name] for f in fields(PaymentInfo)]
_ORDER = func.coalesce(bindparam("order", type_=_payments.c.order_id.type), _payments.c.order_id)


def _answer(**values: Any) -> Any:
    """The UPDATE that records one kind of answer on the payment, linking its order."""
    return (
        update(_payments)
        .where(_payments.c.id == bindparam("payment"))
        .values(order_id=_ORDER, updated_at=bindparam("now"), **values)
        .returning(*_INFO)
    )


_APPROVED = _answer(status="authorized", provider_reference=bindparam("reference"))
_DECLINED = _answer(status="declined", decline_reason=bindparam("reason"))
_LOG = insert(_log)


def record_answer(
    session: Session, *, payment_id: str, result: ProviderResult, order_id: str | None
) -> PaymentInfo | None:
    """The payment as the answer leaves it (linked to `order_id` when given), and the
    answer logged; None if there is no such payment. Only for a payment `session` does
    not hold as an object (it would not see the change)."""
    now = utcnow()
    stmt = _APPROVED if result.approved else _DECLINED
    params = {"payment": payment_id, "reference": result.reference, "reason": result.reason,
              "order": order_id, "now": now}  # fmt: skip
    row = session.execute(stmt, params).first()
    if row is None:
        return None
    info = PaymentInfo(*row)
    entry = {"payment_id": payment_id, "kind": "authorize", "amount": info.amount,
             "succeeded": result.approved, "provider_reference": result.reference,
             "message": result.reason, "created_at": now}  # fmt: skip
    session.execute(_LOG, entry)
    return info
