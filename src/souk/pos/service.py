"""Till transactions, each taking effect once per `client_txn_id` at its store
(`souk.pos.once`): sales here, pickup hand-overs and returns in `souk.pos.handovers`.

In a sync batch a refused transaction is reported and skipped; the others are recorded
whatever happens to it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from souk.access.models import Principal
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.orders.queries import get_order
from souk.pos import handovers
from souk.pos.once import WakeUp, accepted, invalid, once_for
from souk.pos.sales import record_sale
from souk.pos.schemas import PosPickup, PosResult, PosReturn, PosSale


def record(
    *, db: Database, principal: Principal, sale: PosSale, index: int = 0,
    wake: WakeUp = None,
) -> PosResult:  # fmt: skip
    """Record one sale once; refusals come back as a result, not raised."""

    def effect(uow: UnitOfWork) -> tuple[PosResult, str | None]:
        recorded = record_sale(uow.session, principal=principal, sale=sale, emit=uow.emit)
        order = get_order(
            session=uow.session,
            order_id=recorded.order_id,
            fulfillment_orders=recorded.fulfillment_orders,
        )
        result = accepted(
            sale, index, order=order.model_dump(mode="json"),
            discrepancies=recorded.discrepancies, warnings=recorded.warnings,
        )  # fmt: skip
        return result, recorded.order_id

    return once_for(sale, db=db, principal=principal, kind="sale", index=index,
                    effect=effect, wake=wake)  # fmt: skip


def _parsed(raw: Any) -> BaseModel:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "pickup":
        return PosPickup.model_validate(raw)
    if kind == "return":
        return PosReturn.model_validate(raw)
    if kind == "sale":
        # `type` is optional for sales (the shape of POST /v1/pos/sales), and a sale's
        # fingerprint is taken without it, as before the other kinds existed.
        raw = {k: v for k, v in raw.items() if k != "type"}
    return PosSale.model_validate(raw)


def sync(
    *, db: Database, principal: Principal, transactions: list[Any],
    wake: WakeUp = None,
) -> list[PosResult]:  # fmt: skip
    """One result per transaction, in the order sent. A transaction repeated within the
    batch is answered from its first occurrence, like any retry."""
    results = []
    for index, raw in enumerate(transactions):
        try:
            txn = _parsed(raw)
        except ValidationError as exc:
            results.append(invalid(index, raw, exc))
            continue
        if isinstance(txn, PosPickup):
            result = handovers.hand_over(db=db, principal=principal, txn=txn, index=index,
                                         wake=wake)  # fmt: skip
        elif isinstance(txn, PosReturn):
            result = handovers.take_return(db=db, principal=principal, txn=txn, index=index,
                                           wake=wake)  # fmt: skip
        else:
            assert isinstance(txn, PosSale)
            result = record(db=db, principal=principal, sale=txn, index=index, wake=wake)
        results.append(result)
    return results
