"""Refunding a received return: to the original payment (never more than was captured,
across all refunds — the payments domain enforces it) or as store credit. Never more than
the received units are worth, less what was already refunded for this return."""

from __future__ import annotations

from souk.access.models import Principal, Role
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import Conflict, Forbidden, InvalidState
from souk.giftcards.service import open_card
from souk.orders.queries import load_order
from souk.payments.service import refund
from souk.returns.models import RefundTo, ReturnStatus
from souk.returns.reads import load_return, refundable, return_read
from souk.returns.schemas import RefundBody, ReturnRead
from souk.returns.tables import RefundRow


def refund_return(
    *, uow: UnitOfWork, principal: Principal, return_id: str, data: RefundBody
) -> ReturnRead:
    with uow:
        session = uow.session
        ret = load_return(session, return_id, lock=True)
        if principal.role is Role.POS and ret.received_location != principal.location:
            raise Forbidden(f"This POS key refunds returns received at {principal.location}")
        if ret.status == ReturnStatus.REQUESTED.value:
            raise InvalidState(f"Return {ret.id} has not been received yet: inspect it first")
        ceiling = refundable(ret)
        amount = data.amount if data.amount is not None else ceiling
        if amount <= 0 or amount > ceiling:
            raise Conflict(
                f"Cannot refund {amount} {ret.currency}: return {ret.id} has {ceiling} "
                f"{ret.currency} left to refund"
            )
        credit_id = code = None
        if data.to is RefundTo.ORIGINAL:
            refund(session=session, order_id=ret.order_id, amount=amount)
        else:
            # Store credit is a gift card of kind `store_credit`: spent the same way on
            # every channel, with the same ledger and the same never-below-zero guarantee.
            order = load_order(session=session, order_id=ret.order_id)
            card, code = open_card(
                session=session, currency=ret.currency, amount=amount, kind="store_credit",
                customer_id=order.customer_id, order_id=ret.order_id,
            )  # fmt: skip
            credit_id = card.id
        row = RefundRow(
            id=new_id("rfd"),
            return_id=ret.id,
            order_id=ret.order_id,
            amount=amount,
            currency=ret.currency,
            destination=data.to.value,
            store_credit_id=credit_id,
            created_at=utcnow(),
        )
        session.add(row)
        ret.refunds.append(row)
        ret.status = ReturnStatus.REFUNDED.value
        uow.emit(
            "refund.issued",
            {
                "id": row.id,
                "return_id": ret.id,
                "order_id": ret.order_id,
                "amount": amount,
                "currency": ret.currency,
                "to": data.to.value,
                "store_credit_id": credit_id,
            },
        )
        result = return_read(ret)
        for shown in result.refunds:
            if shown.id == row.id:
                shown.store_credit_code = code  # shown once, like an issued card's code
        uow.commit()
        return result
