"""Till transactions, each taking effect once per `client_txn_id` at its store.

Every transaction is its own unit of work: the sale and the row that remembers its result
commit together, so a transaction is either wholly recorded (and every retry answered from
that record) or not at all. In a sync batch a refused transaction is reported and skipped;
the others are recorded whatever happens to it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from souk.access.models import Principal
from souk.api.problems import PROBLEM_BASE
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import Conflict, SoukError, ValidationFailed
from souk.orders.queries import get_order
from souk.pos.models import fingerprint
from souk.pos.sales import record_sale
from souk.pos.schemas import PosResult, PosSale
from souk.pos.tables import PosTransactionRow

WakeUp = Any


def _problem(exc: SoukError) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + exc.problem,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "errors": exc.errors,
        **exc.extra(),
    }


def _previous(db: Database, location: str, client_txn_id: str) -> PosTransactionRow | None:
    with UnitOfWork(db, write=False) as uow:
        row = uow.session.scalar(
            select(PosTransactionRow).where(
                PosTransactionRow.location == location,
                PosTransactionRow.client_txn_id == client_txn_id,
            )
        )
        if row is not None:
            uow.session.expunge(row)
        return row


def _replay(row: PosTransactionRow, print_: str, index: int) -> PosResult:
    if row.fingerprint != print_:
        exc = Conflict(
            f"client_txn_id {row.client_txn_id!r} was already used for another transaction "
            f"(order {row.order_id})"
        )
        return PosResult(index=index, client_txn_id=row.client_txn_id, status=409,
                         replayed=False, problem=_problem(exc))  # fmt: skip
    return PosResult.model_validate({**row.result, "index": index, "replayed": True})


def record(
    *, db: Database, principal: Principal, sale: PosSale, index: int = 0,
    wake: WakeUp = None,
) -> PosResult:  # fmt: skip
    """Record one sale once; refusals come back as a result, not raised."""
    location = principal.location or ""
    print_ = fingerprint(sale.model_dump(mode="json"))
    seen = _previous(db, location, sale.client_txn_id)
    if seen is not None:
        return _replay(seen, print_, index)
    try:
        with UnitOfWork(db, on_events_committed=wake) as uow:
            recorded = record_sale(uow.session, principal=principal, sale=sale, emit=uow.emit)
            order = get_order(session=uow.session, order_id=recorded.order_id)
            result = PosResult(
                index=index,
                client_txn_id=sale.client_txn_id,
                status=201,
                replayed=False,
                order=order.model_dump(mode="json"),
                discrepancies=recorded.discrepancies,
                warnings=recorded.warnings,
            )
            uow.session.add(
                PosTransactionRow(
                    location=location,
                    channel=principal.channel or "",
                    client_txn_id=sale.client_txn_id,
                    fingerprint=print_,
                    kind="sale",
                    order_id=recorded.order_id,
                    occurred_at=sale.occurred_at,
                    result=result.model_dump(mode="json", exclude={"index", "replayed"}),
                    created_at=utcnow(),
                )
            )
            uow.session.flush()
            uow.commit()
            return result
    except IntegrityError:
        # The same transaction, sent twice at the same moment: the other one won.
        seen = _previous(db, location, sale.client_txn_id)
        if seen is None:
            raise
        return _replay(seen, print_, index)
    except SoukError as exc:
        return PosResult(index=index, client_txn_id=sale.client_txn_id, status=exc.status,
                         replayed=False, problem=_problem(exc))  # fmt: skip
    except (DataError, OverflowError) as exc:
        # A value the database cannot store (a date at the edge of the calendar): this
        # transaction is refused, the rest of the batch goes on.
        refused = ValidationFailed(
            f"A value of this transaction cannot be stored: {exc.__class__.__name__}"
        )
        return PosResult(index=index, client_txn_id=sale.client_txn_id, status=422,
                         replayed=False, problem=_problem(refused))  # fmt: skip


def _invalid(index: int, raw: Any, exc: ValidationError) -> PosResult:
    errors = [
        {
            "field": ".".join(str(p) for p in ("transactions", index, *e["loc"])),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    txn = raw.get("client_txn_id") if isinstance(raw, dict) else None
    problem = {
        "type": PROBLEM_BASE + "validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": f"Transaction {index} is malformed",
        "errors": errors,
    }
    return PosResult(index=index, client_txn_id=txn if isinstance(txn, str) else None,
                     status=422, replayed=False, problem=problem)  # fmt: skip


def sync(
    *, db: Database, principal: Principal, transactions: list[Any],
    wake: WakeUp = None,
) -> list[PosResult]:  # fmt: skip
    """One result per transaction, in the order sent. A transaction repeated within the
    batch is answered from its first occurrence, like any retry."""
    results = []
    for index, raw in enumerate(transactions):
        try:
            sale = PosSale.model_validate(raw)
        except ValidationError as exc:
            results.append(_invalid(index, raw, exc))
            continue
        results.append(record(db=db, principal=principal, sale=sale, index=index, wake=wake))
    return results
