"""Reading returns, and the figures the rules need: what was handed over, what is on
returns already, what a return is worth."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from souk.access.models import Principal, Role
from souk.api.shapes import Money
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, NotFound
from souk.fulfilment.models import HANDED_OVER
from souk.fulfilment.tables import FulfillmentOrderLineRow, FulfillmentOrderRow
from souk.returns.models import RefundTo, ReturnStatus, share
from souk.returns.schemas import RefundRead, ReturnLineRead, ReturnRead
from souk.returns.tables import ReturnLineRow, ReturnRow


def handed_over(session: Session, order_id: str) -> dict[str, int]:
    """Units per SKU shipped, delivered or collected (a till sale counts as collected)."""
    rows = session.execute(
        select(FulfillmentOrderLineRow.sku, func.sum(FulfillmentOrderLineRow.quantity))
        .join(FulfillmentOrderRow)
        .where(
            FulfillmentOrderRow.order_id == order_id,
            FulfillmentOrderRow.status.in_([s.value for s in HANDED_OVER]),
        )
        .group_by(FulfillmentOrderLineRow.sku)
    )
    return {sku: int(q or 0) for sku, q in rows}


def already_returned(session: Session, order_id: str) -> dict[str, int]:
    rows = session.execute(
        select(ReturnLineRow.sku, func.sum(ReturnLineRow.quantity))
        .join(ReturnRow)
        .where(ReturnRow.order_id == order_id)
        .group_by(ReturnLineRow.sku)
    )
    return {sku: int(q or 0) for sku, q in rows}


def load_return(session: Session, return_id: str, *, lock: bool = False) -> ReturnRow:
    stmt = (
        select(ReturnRow)
        .where(ReturnRow.id == return_id)
        .options(selectinload(ReturnRow.lines), selectinload(ReturnRow.refunds))
    )
    if lock:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"No return {return_id!r}")
    return row


def received_value(row: ReturnRow) -> int:
    """What the received units cost the customer; exchanged units are settled by the
    exchange, not refunded."""
    value = 0
    for line in row.lines:
        if line.exchange_sku is not None:
            continue
        value += share(line.amount, line.quantity, line.resellable + line.damaged)
    return value


def refundable(row: ReturnRow) -> int:
    if row.status == ReturnStatus.REQUESTED.value:
        return 0
    return max(0, received_value(row) - sum(r.amount for r in row.refunds))


def return_read(row: ReturnRow) -> ReturnRead:
    c = row.currency
    return ReturnRead(
        id=row.id,
        order_id=row.order_id,
        channel=row.channel,
        status=ReturnStatus(row.status),
        method=row.method,
        location=row.location,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        lines=[
            ReturnLineRead(
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                amount=Money(amount=line.amount, currency=c),
                exchange_for=line.exchange_sku,
                resellable=line.resellable,
                damaged=line.damaged,
            )
            for line in row.lines
        ],
        refundable=Money(amount=refundable(row), currency=c),
        refunds=[
            RefundRead(
                id=r.id,
                amount=Money(amount=r.amount, currency=r.currency),
                to=RefundTo(r.destination),
                store_credit_id=r.store_credit_id,
                created_at=r.created_at,
            )
            for r in row.refunds
        ],
        exchange_order_id=row.exchange_order_id,
        received_location=row.received_location,
        created_at=row.created_at,
        received_at=row.received_at,
    )


def check_store(principal: Principal, ret: ReturnRow) -> None:
    """A POS key sees and handles the returns of its own store only: those opened for it or
    received there (object-level authorisation; docs/security.md)."""
    if principal.role is Role.POS and principal.location not in (
        ret.location,
        ret.received_location,
    ):
        raise Forbidden(f"This POS key handles returns at {principal.location} only")


def get_return(*, uow: UnitOfWork, principal: Principal, return_id: str) -> ReturnRead:
    with uow:
        ret = load_return(uow.session, return_id)
        check_store(principal, ret)
        return return_read(ret)


def returned_per_sku(session: Session, order_id: str) -> dict[str, int]:
    """Units received back per SKU across the order's returns."""
    totals: dict[str, int] = defaultdict(int)
    rows = session.scalars(
        select(ReturnRow)
        .where(ReturnRow.order_id == order_id)
        .options(selectinload(ReturnRow.lines))
    )
    for ret in rows:
        for line in ret.lines:
            totals[line.sku] += line.resellable + line.damaged
    return dict(totals)
